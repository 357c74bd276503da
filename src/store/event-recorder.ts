/**
 * Persists what the services publish: every event into the store's event
 * table, and each machine's last-seen time and boot state (machine-state-for.ts).
 *
 * The bus listener only queues (a DHCP reply never waits on the disk); one
 * writer drains the queue in order, a batch per transaction. A batch is what
 * came in during a short window (`batchWindowMs`) or `maxBatch` events,
 * whichever is first: a DHCP exchange publishes four events, and at a
 * thousand exchanges a second a transaction per event loop turn was a commit
 * (and its WAL pages) every few events, the largest cost of an exchange. A
 * window of 100 ms makes it about 10 commits a second at any rate, and the
 * live page sees events 100 ms later. Larger batches are cheaper per event
 * in SQLite because each index page a batch touches (events by MAC: one page
 * per machine heard from) is written to the WAL once per commit: 4 DHCP
 * events of 200 machines cost about 10.8 us each in batches of 1,000 and
 * 8.3 us in batches of 2,500, whose commit takes about 30 ms; the SQLite
 * store makes them in a thread of its own (sqlite/event-file.ts), so that
 * this thread only hands the batch over. When the store cannot keep up the
 * queue is capped and the oldest events are dropped, counted and logged.
 */
import type { BootEvent, EventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import { machineStateFor } from "./machine-state-for.js";
import type { NewEvent, Store } from "./store.js";

export interface EventRecorderOptions {
  readonly store: Store;
  readonly bus: EventBus;
  readonly logger: Logger;
  /**
   * Types not recorded at all. Default `syslog.line`: the syslog service
   * stores lines in the log table under retention; an event row per line
   * would grow the event table without bound.
   */
  readonly skipTypes?: readonly string[] | undefined;
  /** Events waiting at most (default 100,000); beyond, the oldest are dropped. */
  readonly maxQueue?: number | undefined;
  /** Events per transaction at most (default 2,500); a full batch is written at once. */
  readonly maxBatch?: number | undefined;
  /** How long the first event of a batch waits for others, in ms (default 100; 0 = the next turn). */
  readonly batchWindowMs?: number | undefined;
}

/**
 * Protocols of events that name a machine without the machine having been
 * heard from: an admin's API call, a wake packet, the server refusing a
 * request made in the machine's name (security.*).
 */
const NOT_SIGHTINGS: ReadonlySet<string> = new Set(["api", "wol", "security"]);

/**
 * Protocols whose MAC is whatever the requester named (a boot file for
 * <mac>): anyone may fetch any machine's files, so the address the request
 * came from is not recorded as the machine's (it stays on the event).
 */
const MAC_NAMED_BY_REQUEST: ReadonlySet<string> = new Set(["http", "tftp"]);

/** Bounds the state cache when spoofed MACs flood DHCP; a miss costs one read. */
const MAX_CACHED_STATES = 100_000;

/** A machine's sightings in one batch, merged. */
interface Sighting {
  firstAt: number;
  readonly mac: string;
  ip?: string;
  hostname?: string;
  arch?: number;
  state?: string;
  at: number;
}

/** An event as stored, with its store id (for SSE ids and `events --follow` resume). */
export type PersistedListener = (event: BootEvent) => void;

export class EventRecorder {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #skip: ReadonlySet<string>;
  readonly #maxQueue: number;
  readonly #maxBatch: number;
  readonly #windowMs: number;
  readonly #unsubscribe: () => void;
  readonly #persisted = new Set<PersistedListener>();
  #queue: BootEvent[] = [];
  /** Last known state per MAC, so a renewal can be told from a new boot without a read per event. */
  readonly #states = new Map<string, string>();
  #draining: Promise<void> | null = null;
  /** The batch window running, when events wait for it. */
  #window: NodeJS.Timeout | null = null;
  #dropped = 0;
  #closed = false;

  constructor(opts: EventRecorderOptions) {
    this.#store = opts.store;
    this.#logger = opts.logger;
    this.#skip = new Set(opts.skipTypes ?? ["syslog.line"]);
    this.#maxQueue = Math.max(1, opts.maxQueue ?? 100_000);
    this.#maxBatch = Math.max(1, opts.maxBatch ?? 2500);
    this.#windowMs = Math.max(0, opts.batchWindowMs ?? 100);
    this.#unsubscribe = opts.bus.subscribe((event) => this.#enqueue(event));
  }

  /** Events dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Called with each event once stored, in order, with its id set. */
  onPersisted(listener: PersistedListener): () => void {
    this.#persisted.add(listener);
    return () => this.#persisted.delete(listener);
  }

  /** Resolves when every event published before the call is stored. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#draining) {
      if (!this.#draining) this.#startDrain();
      await this.#draining;
    }
  }

  /** Stops listening and stores what is queued. The store stays open (its owner closes it). */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#unsubscribe();
    }
    await this.flush();
  }

  #enqueue(event: BootEvent): void {
    if (this.#skip.has(event.type)) return;
    if (this.#queue.length >= this.#maxQueue) {
      this.#queue.shift();
      if (this.#dropped++ % 10_000 === 0) {
        this.#logger.warn(
          { dropped: this.#dropped },
          "event store falling behind: oldest queued events dropped",
        );
      }
    }
    this.#queue.push(event);
    // One writer at a time keeps order; a running one takes this event in a
    // full batch, or starts a window for it when it ends.
    if (this.#draining) return;
    if (this.#queue.length >= this.#maxBatch) this.#startDrain();
    else if (!this.#window) this.#waitForMore();
  }

  /** Starts the writer on a later tick, so that a publisher returns first. */
  #startDrain(): void {
    if (this.#window) clearTimeout(this.#window);
    this.#window = null;
    this.#draining ??= new Promise<void>((r) => setImmediate(r)).then(() => this.#drain());
  }

  /**
   * Writes the queue, a batch at a time, while full batches wait; what is
   * left waits for a window of its own. A write takes a while (the SQLite
   * store writes in a thread of its own, a PostgreSQL store over the
   * network) and events keep coming meanwhile: writing them at once would
   * follow each full batch with a run of ever smaller ones, a commit each,
   * and a commit costs about as much as hundreds of events (each index page
   * the batch touches is written again).
   */
  async #drain(): Promise<void> {
    try {
      do {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          await this.#write(batch);
        } catch (err) {
          // The store is down or refused the batch: log once per batch and
          // go on; later events may still get through.
          this.#logger.error(
            { err: (err as Error).message, events: batch.length },
            "could not store boot events",
          );
        }
      } while (this.#queue.length >= this.#maxBatch);
    } finally {
      this.#draining = null;
      if (this.#queue.length > 0 && !this.#window) this.#waitForMore();
    }
  }

  /** Starts the batch window (or, with none, the writer on the next turn). */
  #waitForMore(): void {
    if (this.#windowMs === 0) {
      this.#startDrain();
      return;
    }
    this.#window = setTimeout(() => this.#startDrain(), this.#windowMs);
    // A pending window must not keep a finished process alive; close() writes it.
    this.#window.unref();
  }

  /**
   * The batch was refused: store events one at a time so that one event the
   * store cannot hold (a detail JSON cannot represent, e.g. a BigInt) does
   * not take the others with it. Such an event is stored with its detail
   * replaced by the reason. Throws when the store refuses everything.
   */
  async #addOneByOne(events: readonly NewEvent[], batchError: Error): Promise<number[]> {
    const ids: number[] = [];
    let stored = 0;
    for (const e of events) {
      try {
        ids.push(await this.#store.addEvent(e));
        stored++;
      } catch (err) {
        try {
          ids.push(
            await this.#store.addEvent({ ...e, detail: { unstorable_detail: (err as Error).message } }),
          );
          stored++;
        } catch {
          ids.push(0);
        }
      }
    }
    if (stored === 0) throw batchError;
    return ids;
  }

  async #write(batch: readonly BootEvent[]): Promise<void> {
    const events = batch.map(toNewEvent);
    let ids: readonly number[];
    try {
      ids = await this.#store.addEvents(events);
    } catch (err) {
      ids = await this.#addOneByOne(events, err as Error);
    }
    // One sighting per machine for the whole batch, holding what the
    // batch's sightings applied one by one would leave: later addresses,
    // names and states win, first_seen and last_seen are the extremes. An
    // exchange's events are one machine row write, not one each (a flood of
    // new MACs is a row each, written by the thread that serves clients).
    const sightings = new Map<string, Sighting>();
    for (const e of batch) {
      // Events the server sends about a machine (an admin set its image, a
      // wake packet went out) are not sightings: the machine said nothing.
      if (!e.mac || NOT_SIGHTINGS.has(e.protocol)) continue;
      let current = this.#states.get(e.mac);
      let sighting = sightings.get(e.mac);
      if (sighting === undefined) {
        if (current === undefined && !settlesState(e)) {
          current = (await this.#store.getMachine(e.mac))?.state ?? "off";
        }
        sighting = { firstAt: e.at, mac: e.mac, at: e.at };
        sightings.set(e.mac, sighting);
      }
      const state = machineStateFor(e, current ?? "off");
      if (state !== undefined) current = state;
      if (this.#states.size >= MAX_CACHED_STATES) this.#states.clear();
      this.#states.set(e.mac, current ?? "off");
      const d = e.detail;
      const ip = MAC_NAMED_BY_REQUEST.has(e.protocol) ? undefined : e.ip;
      if (ip != null) sighting.ip = ip;
      if (typeof d?.hostname === "string") sighting.hostname = d.hostname;
      if (typeof d?.arch === "number" && Number.isInteger(d.arch)) sighting.arch = d.arch;
      if (state !== undefined) sighting.state = state;
      sighting.firstAt = Math.min(sighting.firstAt, e.at);
      sighting.at = Math.max(sighting.at, e.at);
    }
    await this.#store.noteMachines([...sightings.values()]);
    if (this.#persisted.size === 0) return;
    batch.forEach((e, i) => {
      const stored: BootEvent = { ...e, id: ids[i] ?? 0 };
      for (const l of this.#persisted) {
        try {
          l(stored);
        } catch {
          /* a broken SSE client must not stop the writer */
        }
      }
    });
  }
}

/**
 * Does the event set the machine's state whatever it was before (a DISCOVER
 * starts a boot, a RELEASE ends it, a client stage is what the client
 * says)? Then a machine heard of for the first time costs no store read.
 * Asked of machineStateFor itself, from a state a new boot may leave and one
 * it may not, so the rules stay in one place.
 */
function settlesState(e: BootEvent): boolean {
  const fromOff = machineStateFor(e, "off");
  return fromOff !== undefined && fromOff === machineStateFor(e, "up");
}

function toNewEvent(e: BootEvent): NewEvent {
  return {
    at: e.at,
    type: e.type,
    protocol: e.protocol,
    mac: e.mac ?? null,
    ip: e.ip ?? null,
    stage: e.stage ?? null,
    detail: e.detail ?? {},
  };
}
