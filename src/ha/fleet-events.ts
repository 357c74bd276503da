/**
 * The "an event was stored" signal of the whole fleet: this server's
 * recorder, plus notices from the other servers sharing the store. The
 * live event stream (src/api/event-stream.ts) takes it where it takes the
 * recorder's onPersisted, and reads the store when it fires; so every
 * server's page follows events from all of them as they are stored.
 */
import type { BootEvent, Clock } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { EventNotices } from "./event-notices.js";

type PersistedListener = (event: BootEvent) => void;

/** What the recorder offers (EventRecorder.onPersisted). */
export interface PersistedSource {
  onPersisted(listener: PersistedListener): () => void;
}

/** Machines named in one notice at most (a notice carries them for MAC-filtered streams only). */
const MAX_PENDING_MACS = 1000;

export class FleetEvents {
  readonly #notices: EventNotices;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #listeners = new Set<PersistedListener>();
  #pending = new Set<string>();
  #scheduled = false;
  #detach: (() => void) | null = null;

  constructor(notices: EventNotices, logger: Logger, clock: Clock) {
    this.#notices = notices;
    this.#logger = logger;
    this.#clock = clock;
  }

  /** Announces what `recorder` stores, and passes the other servers' notices to the listeners. */
  async start(recorder: PersistedSource): Promise<void> {
    await this.#notices.follow((macs) => {
      // The listeners read the store on any event; they look only at its MAC.
      for (const mac of macs) {
        const wake: BootEvent = {
          type: "fleet.stored",
          protocol: "fleet",
          at: this.#clock.now(),
          id: 0,
          mac: mac ?? undefined,
        };
        for (const l of this.#listeners) l(wake);
      }
    });
    this.#detach = recorder.onPersisted((event) => this.#stored(event));
  }

  /** Same contract as EventRecorder.onPersisted, for the whole fleet. */
  onPersisted(listener: PersistedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stop(): void {
    this.#detach?.();
    this.#detach = null;
  }

  #stored(event: BootEvent): void {
    for (const l of this.#listeners) l(event);
    if (this.#pending.size < MAX_PENDING_MACS) this.#pending.add(event.mac ?? "-");
    if (this.#scheduled) return;
    // One notice per event-loop turn: the recorder stores events in batches.
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const macs = [...this.#pending];
      this.#pending = new Set();
      this.#notices.announce(macs).catch((err: unknown) => {
        this.#logger.warn(
          { err: (err as Error).message },
          "ha: could not tell the other servers of stored events",
        );
      });
    });
  }
}
