/**
 * Packets the DHCP service answers with silence, counted by reason
 * (`dropped.<reason>`, `ignored.<reason>`) so metrics and tests see every
 * one. A drop is something an operator may want to know about and gets a
 * warning line, rate-limited: a flood of bad packets must not become a flood
 * of log lines. An ignored packet is simply not ours (another server's
 * client, a BOOTREPLY) and is only counted.
 */
import type { Logger } from "../../logging/logger.js";
import { RateLimitedLog } from "../../logging/rate-limited-log.js";
import type { DhcpCounters } from "./dhcp-counters.js";

/**
 * Warning lines per reason and 10 s; the rest are counted and summed up in
 * one line when the window ends. By reason, not by sender: a DHCP client
 * has no address yet, and a flood of spoofed MACs is still one reason.
 */
const WARN_BURST = 20;

export interface DropLogOptions {
  readonly counters: DhcpCounters;
  readonly logger: Logger;
}

export class DropLog {
  readonly #counters: DhcpCounters;
  readonly #logger: Logger;
  readonly #warnings: RateLimitedLog;

  constructor(options: DropLogOptions) {
    this.#counters = options.counters;
    this.#logger = options.logger;
    this.#warnings = new RateLimitedLog({
      logger: options.logger,
      what: "dropped packets",
      burst: WARN_BURST,
      summary: (count, reason, seconds) =>
        `dhcp: ${count} more packets dropped (${reason}) in the last ${seconds} s`,
    });
  }

  /** Counts a drop and logs one warning line (rate-limited). Returns no replies, for `return drops.drop(...)`. */
  drop(reason: string, obj: Record<string, unknown>, msg = "dhcp: dropped packet"): never[] {
    this.#counters.add(`dropped.${reason}`);
    this.#warnings.log(reason, { reason, ...obj }, msg);
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
