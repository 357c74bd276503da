/**
 * One `security.identity_mismatch` event, and one log line, per (machine,
 * source address) per minute, however many packets or requests the mismatch
 * repeats in: a client retrying, or someone flooding, must not turn into a
 * line per packet. Repeats inside the minute are counted and reported with
 * the next event for the same pair. A flood over many pairs (random MACs) is
 * capped as a whole: beyond `maxEventsPerWindow` in one minute, mismatches
 * are only counted, and the count is logged once when the minute ends.
 */
import { type Clock, type EventBus, systemClock } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";

export interface IdentityMismatch {
  /** Which service refused: "nbd", "api", "http", "tftp", "syslog". */
  readonly service: string;
  /** The machine the request was for or about; null when none could be named. */
  readonly mac: string | null;
  /** The address the request came from. */
  readonly ip: string;
  /** What was refused and why, for the administrator. */
  readonly reason: string;
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

export interface IdentityMismatchLogOptions {
  readonly bus: Pick<EventBus, "publish">;
  readonly logger: Logger;
  readonly clock?: Clock | undefined;
  /** Default one minute. */
  readonly windowMs?: number | undefined;
  /** Events per window over all pairs (default 100). */
  readonly maxEventsPerWindow?: number | undefined;
}

interface Pair {
  readonly until: number;
  repeats: number;
}

export class IdentityMismatchLog {
  readonly #bus: Pick<EventBus, "publish">;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #maxEvents: number;
  readonly #pairs = new Map<string, Pair>();
  #windowEnds = 0;
  #eventsInWindow = 0;
  #suppressed = 0;

  constructor(options: IdentityMismatchLogOptions) {
    this.#bus = options.bus;
    this.#log = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxEvents = options.maxEventsPerWindow ?? 100;
  }

  report(m: IdentityMismatch): void {
    const now = this.#clock.now();
    this.#roll(now);
    const key = `${m.mac ?? "-"} ${m.ip}`;
    const pair = this.#pairs.get(key);
    if (pair && now < pair.until) {
      pair.repeats++;
      return;
    }
    if (this.#eventsInWindow >= this.#maxEvents) {
      this.#suppressed++;
      return;
    }
    this.#eventsInWindow++;
    const repeats = pair?.repeats ?? 0;
    this.#pairs.delete(key);
    this.#pairs.set(key, { until: now + this.#windowMs, repeats: 0 });
    const detail = { service: m.service, source_ip: m.ip, reason: m.reason, ...m.detail, repeats };
    this.#log.warn({ mac: m.mac ?? undefined, ...detail }, `identity mismatch: ${m.reason}`);
    this.#bus.publish({ type: "security.identity_mismatch", mac: m.mac ?? undefined, ip: m.ip, detail });
  }

  /**
   * A new window. A pair whose minute ended less than a window ago is kept,
   * so its repeats go out with its next event; older ones are forgotten.
   * That bounds the table to the events of two windows.
   */
  #roll(now: number): void {
    if (now < this.#windowEnds) return;
    if (this.#suppressed > 0)
      this.#log.warn(
        { suppressed: this.#suppressed, window_ms: this.#windowMs },
        "identity mismatches beyond the per-minute event cap were counted, not logged one by one",
      );
    this.#suppressed = 0;
    this.#eventsInWindow = 0;
    this.#windowEnds = now + this.#windowMs;
    for (const [key, pair] of this.#pairs) if (pair.until <= now - this.#windowMs) this.#pairs.delete(key);
  }
}
