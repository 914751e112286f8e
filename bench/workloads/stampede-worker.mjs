// One process of the Redis stampede: builds its library's Redis client, reports ready, and on
// "go" fires its share of concurrent calls, then reports loader runs and wrong answers.
import { isoRedis } from "../lib/isocache.mjs";
import { redisPeers } from "../lib/peers.mjs";
import { storm } from "./stampede.mjs";

process.once("message", async ({ contender, redisUrl, calls }) => {
  const instance = contender.iso
    ? await isoRedis(redisUrl, { lock: contender.lock })
    : await redisPeers()
        .find((p) => p.name === contender.name)
        .make(redisUrl, false);
  // One warm-up command so the connection is open before the signal.
  await instance.getOrLoad("stampede:warm", async () => 1);
  process.send({ ready: true });
  process.once("message", async () => {
    const result = await storm(instance, "stampede:cold", calls);
    await instance.close();
    process.send(result, () => process.exit(0));
  });
});
