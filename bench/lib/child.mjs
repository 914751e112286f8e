// Runs one workload in its own process (a clean heap and JIT) and writes its result as JSON.
import { writeFileSync } from "node:fs";

const [name, outFile] = process.argv.slice(2);
const context = JSON.parse(process.env.ISOCACHE_BENCH_CONTEXT ?? "{}");
const { default: run } = await import(`../workloads/${name}.mjs`);
const result = await run(context);
writeFileSync(outFile, JSON.stringify(result));
process.exit(0);
