/**
 * Bounds what stage reports nobody can vouch for may cost. A report without
 * the token, for a MAC no address is proven for, is taken as unverified
 * (the machine's address may come from a DHCP server that is not ours), but
 * - each source address gets a token bucket: a client hook sends a handful
 *   of stages per boot, a flood gets 429 after the burst;
 * - machines that exist only because such a report named them are capped
 *   over all sources: beyond the budget the report is kept as an event that
 *   names no machine, so 2000 random MACs cannot make 2000 machines.
 * The defaults are far above what a booting lab sends: a machine that fetched
 * its boot files or got a lease is already known and costs no budget.
 */
import { type Clock, systemClock } from "../events/event-bus.js";

export interface UnverifiedReportGateOptions {
  readonly clock?: Clock | undefined;
  /** Reports one source may send at once (default 20). */
  readonly perSourceBurst?: number | undefined;
  /** One more report per source every so many ms (default 1000). */
  readonly perSourceEveryMs?: number | undefined;
  /** Sources tracked at most (default 4096; the least recently seen is forgotten). */
  readonly maxSources?: number | undefined;
  /** New machines unverified reports may create at once (default 64). */
  readonly newMachinesBurst?: number | undefined;
  /** One more new machine every so many ms (default 10 s). */
  readonly newMachineEveryMs?: number | undefined;
}

class TokenBucket {
  readonly #burst: number;
  readonly #everyMs: number;
  #tokens: number;
  #at: number;

  constructor(burst: number, everyMs: number, now: number) {
    this.#burst = burst;
    this.#everyMs = everyMs;
    this.#tokens = burst;
    this.#at = now;
  }

  take(now: number): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + Math.max(0, now - this.#at) / this.#everyMs);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

export class UnverifiedReportGate {
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #everyMs: number;
  readonly #maxSources: number;
  readonly #sources = new Map<string, TokenBucket>();
  readonly #newMachines: TokenBucket;

  constructor(options: UnverifiedReportGateOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#burst = options.perSourceBurst ?? 20;
    this.#everyMs = options.perSourceEveryMs ?? 1000;
    this.#maxSources = options.maxSources ?? 4096;
    this.#newMachines = new TokenBucket(
      options.newMachinesBurst ?? 64,
      options.newMachineEveryMs ?? 10_000,
      this.#clock.now(),
    );
  }

  /** One more unverified report from `source`; false: over its rate. */
  admit(source: string): boolean {
    const now = this.#clock.now();
    let bucket = this.#sources.get(source);
    if (bucket) this.#sources.delete(source);
    else bucket = new TokenBucket(this.#burst, this.#everyMs, now);
    this.#sources.set(source, bucket);
    if (this.#sources.size > this.#maxSources) {
      const oldest = this.#sources.keys().next().value;
      if (oldest !== undefined) this.#sources.delete(oldest);
    }
    return bucket.take(now);
  }

  /** An unverified report names a machine never seen: may it become one? */
  admitNewMachine(): boolean {
    return this.#newMachines.take(this.#clock.now());
  }
}
