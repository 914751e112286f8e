/** Counters of one cache or one cached function. */
export interface CacheStats {
  /** Reads that could hit: `hits + misses`. */
  requests: number;
  hits: number;
  misses: number;
  /** `hits / requests`, 0 before the first request. */
  hitRate: number;
  /** Loader (factory or wrapped function) executions that resolved. */
  loads: number;
  /** Loader executions that threw. */
  loadFailures: number;
  /** Total time spent in loaders, in milliseconds. */
  loadTimeMs: number;
}

/** Mutable counters behind `stats()`. */
export class StatsCounter {
  hits = 0;
  misses = 0;
  loads = 0;
  loadFailures = 0;
  loadTimeMs = 0;

  /** Records one loader run that took `ms` milliseconds. */
  load(ms: number, failed: boolean): void {
    if (failed) this.loadFailures++;
    else this.loads++;
    this.loadTimeMs += ms;
  }

  /** A copy of the counters with the derived fields. */
  snapshot(): CacheStats {
    const requests = this.hits + this.misses;
    return {
      requests,
      hits: this.hits,
      misses: this.misses,
      hitRate: requests === 0 ? 0 : this.hits / requests,
      loads: this.loads,
      loadFailures: this.loadFailures,
      loadTimeMs: this.loadTimeMs,
    };
  }

  reset(): void {
    this.hits = this.misses = this.loads = this.loadFailures = this.loadTimeMs = 0;
  }
}
