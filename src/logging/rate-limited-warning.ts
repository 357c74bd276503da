/**
 * One warning line for a flood of the same thing: the first occurrence in a
 * window is logged, the others are counted and their number rides on the
 * next line. A client that opens connections or sends requests in a loop
 * must not fill the log, and the operator still learns how many there were.
 */
import { type Clock, systemClock } from "../events/event-bus.js";
import type { Logger } from "./logger.js";

export interface RateLimitedWarningOptions {
  /** At most one line per window. */
  readonly windowMs?: number | undefined;
  readonly clock?: Clock | undefined;
}

export class RateLimitedWarning {
  readonly #log: Logger;
  readonly #msg: string;
  readonly #windowMs: number;
  readonly #clock: Clock;
  #lastLine = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(log: Logger, msg: string, options: RateLimitedWarningOptions = {}) {
    this.#log = log;
    this.#msg = msg;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Logs `fields` unless a line went out less than a window ago; then only counts. */
  warn(fields: Record<string, unknown>): void {
    const now = this.#clock.now();
    if (now - this.#lastLine < this.#windowMs) {
      this.#suppressed++;
      return;
    }
    this.#lastLine = now;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    this.#log.warn(suppressed > 0 ? { ...fields, suppressed } : fields, this.#msg);
  }
}
