/**
 * Packets the DHCP service answers with silence, counted by reason
 * (`dropped.<reason>`, `ignored.<reason>`) so metrics and tests see every
 * one. A drop is something an operator may want to know about and gets a
 * warning line, rate-limited: a flood of bad packets must not become a flood
 * of log lines. An ignored packet is simply not ours (another server's
 * client, a BOOTREPLY) and is only counted.
 */
import type { Clock } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import type { DhcpCounters } from "./dhcp-counters.js";

/** At most this many warning lines per window; the rest are counted and summed up in the next line. */
const WARN_BURST = 20;
const WARN_WINDOW_MS = 10_000;

export interface DropLogOptions {
  readonly counters: DhcpCounters;
  readonly logger: Logger;
  readonly clock: Clock;
}

export class DropLog {
  readonly #counters: DhcpCounters;
  readonly #logger: Logger;
  readonly #clock: Clock;
  #warnWindow = 0;
  #warnCount = 0;
  #suppressed = 0;

  constructor(options: DropLogOptions) {
    this.#counters = options.counters;
    this.#logger = options.logger;
    this.#clock = options.clock;
  }

  /** Counts a drop and logs one warning line (rate-limited). Returns no replies, for `return drops.drop(...)`. */
  drop(reason: string, obj: Record<string, unknown>, msg = "dhcp: dropped packet"): never[] {
    this.#counters.add(`dropped.${reason}`);
    const now = this.#clock.now();
    if (now - this.#warnWindow >= WARN_WINDOW_MS) {
      this.#warnWindow = now;
      this.#warnCount = 0;
    }
    if (this.#warnCount < WARN_BURST) {
      this.#warnCount++;
      const suppressed = this.#suppressed;
      this.#suppressed = 0;
      this.#logger.warn({ reason, ...obj, ...(suppressed > 0 ? { suppressed } : {}) }, msg);
    } else {
      this.#suppressed++;
    }
    return [];
  }

  /** A drop the config asks for (an unknown machine with boot_unknown false): counted, logged at debug only. */
  dropAsConfigured(reason: string, obj: Record<string, unknown>, msg: string): never[] {
    this.#counters.add(`dropped.${reason}`);
    this.#logger.debug(obj, msg);
    return [];
  }

  /** Not ours to answer: counted only. */
  ignore(reason: string): never[] {
    this.#counters.add(`ignored.${reason}`);
    return [];
  }
}
