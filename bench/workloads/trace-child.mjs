// One trace replay in a fresh process (see trace.mjs); prints its result as JSON.
import { runOne } from "./trace.mjs";

const { args, context } = JSON.parse(process.argv[2]);
const result = await runOne(...args, context).catch((error) => ({
  missing: `the replay failed (${error instanceof Error ? error.message : String(error)})`,
}));
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
