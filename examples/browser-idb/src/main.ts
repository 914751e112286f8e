// Caches fetch() results in IndexedDB with the `soft` strategy and shows, per request, whether it
// came from the network (MISS) or the cache (HIT), plus the cache's counters. Reload the page:
// the entries are still in IndexedDB, so every row turns into a HIT with no network request.
import { cache, registerScheme, runtime } from "isocache";
import { idb } from "isocache/backends/idb";

registerScheme(idb); // browsers load a backend's client only when the page asks for it
const CACHE_URL = "idb://isocache-example/responses";
cache.setup(CACHE_URL);

let networkFetches = 0;

// Fresh for 30 s; after that the next call refetches, and if the network fails it still gets the
// stored copy until the day is over.
const getJson = cache.soft({ ttl: "1d", softTtl: "30s", key: "fetch:{url}" })(async function getJson(
  url: string,
): Promise<{ name: string; diameterKm: number; servedAt: string }> {
  networkFetches++;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response.json();
});

const $ = (id: string) => document.getElementById(id) as HTMLElement;

function addRow(url: string, hit: boolean, ms: number, data: { name: string; diameterKm: number }) {
  const row = document.createElement("tr");
  const cells = [url, hit ? "HIT" : "MISS", hit ? "IndexedDB" : "network", `${ms.toFixed(0)} ms`];
  cells.push(`${data.name}, ${data.diameterKm.toLocaleString("en")} km`);
  for (const text of cells) row.append(Object.assign(document.createElement("td"), { textContent: text }));
  row.children[1]?.classList.add(hit ? "HIT" : "MISS");
  $("rows").append(row);
}

async function main() {
  for (const id of [1, 2, 3, 4]) {
    const url = `/api/planets/${id}`;
    const before = networkFetches;
    const started = performance.now();
    const data = await getJson(url);
    addRow(url, networkFetches === before, performance.now() - started, data);
  }
  const stats = getJson.stats();
  const shown = {
    hits: stats.hits,
    misses: stats.misses,
    "hit rate": `${Math.round(stats.hitRate * 100)}%`,
    "network requests": networkFetches,
    "entries in IndexedDB": await cache.getKeysCount(),
  };
  for (const [label, value] of Object.entries(shown)) {
    const item = document.createElement("li");
    item.append(Object.assign(document.createElement("b"), { textContent: String(value) }), label);
    $("stats").append(item);
  }
  $("explain").textContent =
    `Runtime entry: ${runtime}. Cache: ${CACHE_URL}. An entry is fresh for 30 seconds (softTtl); ` +
    "after that the next use refetches it, and while the network fails the stored copy is served, for up to a day (ttl).";
  $("status").textContent =
    stats.misses === 0
      ? "Served from IndexedDB: no network request."
      : "Fetched from the network and cached. Reload the page to read it back from IndexedDB.";
  $("status").dataset.state = "done";
}

$("reload").addEventListener("click", () => location.reload());
$("clear").addEventListener("click", async () => {
  await cache.clear();
  location.reload();
});
main().catch((error: unknown) => {
  $("status").textContent = `Failed: ${error instanceof Error ? error.message : String(error)}`;
  $("status").dataset.state = "failed";
});
