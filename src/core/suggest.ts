/** The name in `known` closest to `name` (at most two edits away, or differing only in case), for "did you mean" hints. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance =
      candidate.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, candidate, bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance of `a` and `b`, or `limit` once it is known to be at least that. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** How an option's value reads in a message: a string quoted, an array by its items, else its kind (`a function`, `an object`) or its text. */
export function shownValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(shownValue).join(", ")}]`;
  if (typeof value === "function") return "a function";
  if (value === null || typeof value !== "object") return String(value);
  return "an object";
}

/** What to do about the unknown option `name`: the known one closest to it, or "remove it", then the options there are. */
export function unknownOptionHint(name: string, known: readonly string[]): string {
  const near = closestName(name, known);
  const hint = near === undefined ? "remove it" : `did you mean \`${near}\`?`;
  return `${hint} (the options are ${known.join(", ")})`;
}

/** The first own name of `options` that `known` lacks, with the known name closest to it; `undefined` when all are known. */
export function unknownName(
  options: object,
  known: readonly string[],
): { name: string; near: string | undefined } | undefined {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) return { name, near: closestName(name, known) };
  }
  return undefined;
}
