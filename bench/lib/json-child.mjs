// One measurement in a fresh Node process: runs `script` with `args`, killed after `limitMs`, and
// resolves with the JSON of its last stdout line, or with `failed(output)` when there is none.
import { spawn } from "node:child_process";

export function jsonChild(script, args, failed, limitMs = 60_000) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("exit", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()));
      } catch {
        resolve(failed(out));
      }
    });
  });
}
