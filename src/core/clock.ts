/** Source of the current time in milliseconds since the epoch; injectable so TTL logic is testable. */
export interface Clock {
  now(): number;
}

/** The real clock (`Date.now`). */
export const systemClock: Clock = { now: () => Date.now() };
