/**
 * `events.keep_days`: boot events older than that are deleted, once soon
 * after start and then every hour. Every DHCP exchange, file and stage of
 * every boot is an event; without a limit a school's store grows by the
 * gigabyte over the years and every list of events gets slower.
 *
 * A pass deletes in batches, each its own short transaction, with a turn of
 * the event loop between them: SQLite answers synchronously, and the first
 * pass over years of events must not hold up DHCP replies.
 */
import { type Clock, systemClock } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { Store } from "./store.js";

export interface EventRetentionOptions {
  readonly store: Store;
  readonly logger: Logger;
  readonly keepDays: number;
  readonly clock?: Clock | undefined;
  /** Between two passes; default one hour. */
  readonly intervalMs?: number | undefined;
  /** Events deleted per transaction; default 10,000. */
  readonly batch?: number | undefined;
}

const DAY_MS = 86_400_000;
/** The first pass waits this long after start, so it does not compete with the services starting. */
const FIRST_PASS_DELAY_MS = 60_000;

export class EventRetention {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #keepMs: number;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #batch: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #closed = false;

  constructor(options: EventRetentionOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#keepMs = Math.max(1, options.keepDays) * DAY_MS;
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = Math.max(1, options.intervalMs ?? 3_600_000);
    this.#batch = Math.max(1, options.batch ?? 10_000);
  }

  /** Schedules the passes: the first a minute from now, then every interval. */
  start(): void {
    if (this.#closed || this.#timer) return;
    this.#schedule(FIRST_PASS_DELAY_MS);
  }

  /** One whole pass now; resolves with how many events were deleted. */
  prune(): Promise<number> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops the passes; waits for one that is running to finish its batch. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      void this.prune()
        .catch((err: unknown) =>
          this.#logger.warn({ err: (err as Error).message }, "event retention: deleting old events failed"),
        )
        .finally(() => {
          if (!this.#closed) this.#schedule(this.#intervalMs);
        });
    }, ms);
    // A pending pass is no reason to keep the process alive.
    this.#timer.unref();
  }

  async #pass(): Promise<number> {
    if (!this.#store.pruneEvents) return 0;
    const before = this.#clock.now() - this.#keepMs;
    let deleted = 0;
    for (;;) {
      const n = await this.#store.pruneEvents(before, this.#batch);
      deleted += n;
      if (n < this.#batch || this.#closed) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (deleted > 0) {
      this.#logger.info(
        { deleted, keep_days: this.#keepMs / DAY_MS },
        "event retention: events older than keep_days deleted",
      );
    }
    return deleted;
  }
}
