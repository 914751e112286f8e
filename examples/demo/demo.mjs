// isocache demo: runs on the embedded memory backend, no services needed.
// Run it with `npm start` (builds first) from the repository root.
import { Cache, CacheConfigError, cache, runtime } from "isocache";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const step = (title) => console.log(`\n== ${title}`);

let calls = 0;
async function loadUser(id) {
  calls++;
  await sleep(50); // pretend this is a slow database query
  return { id, name: `User ${id}`, loadedAt: new Date() };
}

console.log(`isocache demo on ${runtime}, default backend: memory`);

step("1. A miss turns into a hit");
for (let attempt = 1; attempt <= 2; attempt++) {
  const started = performance.now();
  const user = await cache.getOrSet("user:42", () => loadUser(42), { ttl: "300ms" });
  const took = (performance.now() - started).toFixed(1);
  console.log(
    `  call ${attempt}: ${user.name} in ${took} ms, loader calls so far: ${calls} -> ${attempt === 1 ? "MISS (loaded)" : "HIT (from cache)"}`,
  );
}
const cached = await cache.get("user:42");
console.log(`  the cached value keeps its types: loadedAt is a ${cached.loadedAt.constructor.name}`);

step("2. An entry expires after its TTL");
console.log(`  time left on user:42: ${await cache.getExpire("user:42")} ms`);
await sleep(350);
console.log(`  after 350 ms: exists = ${await cache.exists("user:42")}`);
await cache.getOrSet("user:42", () => loadUser(42), { ttl: "300ms" });
console.log(`  the next read loads again: loader calls = ${calls}`);

step("3. Signed values: a tampered entry is rejected");
const signed = new Cache().setup("mem://?size=1000", {
  secret: "demo-secret",
  onError: (error) => console.log(`  onError: ${error.message}`),
});
await signed.set("price:book", 30, { ttl: "1h" });
console.log(`  stored price: ${await signed.get("price:book")}`);
const raw = await signed.getRaw("price:book");
console.log(`  raw record (header with the HMAC, then the payload): ${JSON.stringify(raw)}`);
await signed.setRaw("price:book", raw.replace(/30$/, "1"));
console.log(`  someone rewrote it to 1 without the secret...`);
console.log(`  read after tampering: ${await signed.get("price:book", "MISS")}`);

step("4. Bad input gets a typed error that says what to do");
try {
  new Cache().setup("mem://?size=lots");
} catch (error) {
  console.log(`  ${error instanceof CacheConfigError ? "CacheConfigError" : "unexpected"}: ${error.message}`);
}
try {
  await cache.set("session", 1, { ttl: "1h30" });
} catch (error) {
  console.log(`  ${error.name}: ${error.message}`);
}

const stats = cache.stats();
console.log(
  `\nstats: ${stats.hits} hits, ${stats.misses} misses, ${stats.loads} loads, hit rate ${(stats.hitRate * 100).toFixed(0)}%`,
);
