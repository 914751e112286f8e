/** What a middleware sees of one command. */
export interface CommandCall {
  /** The command name, such as `get` or `set`. */
  readonly command: string;
  /** The key (or pattern) the command is about; `undefined` for `ping`, `clear`, ... */
  readonly key: string | undefined;
  /** The arguments the command was called with. */
  readonly args: readonly unknown[];
  /** Name of the backend serving the call. */
  readonly backend: string;
}

/** A middleware wraps every command of the backends it was set up with; outermost first. */
export type Middleware = (call: CommandCall, next: () => Promise<unknown>) => Promise<unknown>;

/** Runs `exec` for `call` inside every middleware of `chain`, outermost first. */
export function runChain<T>(
  chain: readonly Middleware[],
  call: CommandCall,
  exec: () => Promise<T>,
): Promise<T> {
  const step = (index: number): Promise<unknown> => {
    const middleware = chain[index];
    if (middleware === undefined) return exec();
    return Promise.resolve(middleware(call, () => step(index + 1)));
  };
  return step(0) as Promise<T>;
}
