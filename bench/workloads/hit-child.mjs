// One hit-path measurement in a fresh process (see hit.mjs), kept apart so hit.mjs stays a
// plain module that both the workload runner and this entry import.
import { measureOne } from "./hit.mjs";

const result = await measureOne(Number(process.argv[2]), process.argv[3] === "quick").catch((error) => ({
  error: error instanceof Error ? error.message : String(error),
}));
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
