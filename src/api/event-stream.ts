/**
 * GET /api/v1/events/stream: boot events as server-sent events (the HTML
 * living standard, "Server-sent events"), for the admin page and
 * `bootfleet events --follow`.
 *
 * Events are read back from the store, not passed straight from the bus,
 * because only stored events have an id, and the id is what makes resuming
 * work: every message carries `id: <store id>`, and a client that reconnects
 * with `Last-Event-ID` (EventSource does this by itself) gets what it missed,
 * in order, with nothing twice. The bus only says "look now"; a slow poll
 * also picks up events other servers wrote to a shared PostgreSQL store.
 *
 * What one connection holds is bounded, whatever the client does:
 *   - The store is the queue. When the socket is full (`write()` says so) the
 *     stream stops reading the store until "drain"; a client that does not
 *     read costs one socket buffer, not a copy of every event since.
 *   - A client that takes nothing for `stallMs` while the socket is full is
 *     disconnected; EventSource reconnects with Last-Event-ID.
 *   - On connect, on resume and after a pause, at most `backlog` events are
 *     replayed: the newest ones. Older ones are skipped with one
 *     `event: missed` message (see MissedEvents), whose id moves the client's
 *     Last-Event-ID past them; the page reloads the list instead.
 */
import type { ServerResponse } from "node:http";
import type { BootEvent, EventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { EventQuery, EventRow, Store } from "../store/store.js";
import { eventView } from "./machine-view.js";

/** Tuning a server or a test may set; the rest of EventStreamOptions comes from the request. */
export interface EventStreamTuning {
  /** Delay between a bus event and reading the store (lets the recorder write it). */
  readonly settleMs?: number | undefined;
  readonly pollMs?: number | undefined;
  readonly heartbeatMs?: number | undefined;
  /** Events replayed at most when a client connects, resumes or catches up (default 500). */
  readonly backlog?: number | undefined;
  /** A client whose socket stays full this long is disconnected (default 60 s). */
  readonly stallMs?: number | undefined;
}

export interface EventStreamOptions extends EventStreamTuning {
  readonly store: Store;
  readonly bus: EventBus;
  readonly logger: Logger;
  /** Send events with id > afterId; undefined: only events from now on. */
  readonly afterId: number | undefined;
  readonly mac?: string | undefined;
  readonly type?: string | undefined;
  /** EventRecorder.onPersisted: read the store as soon as an event is written. */
  readonly onPersisted?: ((listener: (event: BootEvent) => void) => () => void) | undefined;
}

/**
 * The data of an `event: missed` message: events with after < id < before
 * were not sent (more than `backlog` were waiting). Its `id:` is before - 1,
 * so a reconnect resumes after the gap.
 */
export interface MissedEvents {
  readonly after: number;
  readonly before: number;
  readonly message: string;
}

const BATCH = 500;
export const DEFAULT_STREAM_BACKLOG = 500;
export const DEFAULT_STREAM_STALL_MS = 60_000;

/** Writes the stream to `res` until the client goes away. Resolves when it has. */
export async function streamEvents(res: ServerResponse, options: EventStreamOptions): Promise<void> {
  const { store, bus, logger } = options;
  const settleMs = options.settleMs ?? (options.onPersisted ? 0 : 25);
  const backlog = Math.max(1, options.backlog ?? DEFAULT_STREAM_BACKLOG);
  const stallMs = options.stallMs ?? DEFAULT_STREAM_STALL_MS;
  const filter = { mac: options.mac, type: options.type };
  let lastId: number;
  if (options.afterId === undefined) {
    const newest = await store.listEvents({ order: "desc", limit: 1 });
    lastId = newest[0]?.id ?? 0;
  } else lastId = options.afterId;

  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    Connection: "keep-alive",
    // Reverse proxies (nginx) would otherwise buffer the stream.
    "X-Accel-Buffering": "no",
  });
  // Tells EventSource how long to wait before reconnecting.
  res.write("retry: 2000\n\n");

  let closed = false;
  let reading = false;
  let again = false;
  /** The client connected, resumed or was paused: it may be more than `backlog` behind. */
  let catchingUp = true;
  /** Set while the socket is full: nothing is read or written until "drain". */
  let stalled: NodeJS.Timeout | undefined;
  let settle: NodeJS.Timeout | undefined;

  const pause = (): void => {
    stalled = setTimeout(() => {
      logger.info({ after_ms: stallMs }, "event stream: client takes nothing, disconnected");
      res.destroy();
    }, stallMs);
    res.once("drain", () => {
      clearTimeout(stalled);
      stalled = undefined;
      catchingUp = true;
      void read();
    });
  };

  /** Skips to the newest `backlog` events when more are waiting; says so in one message. */
  const skipOld = async (): Promise<void> => {
    const newest = await store.listEvents({ ...filter, afterId: lastId, order: "desc", limit: backlog });
    const oldestKept = newest.at(-1);
    if (newest.length < backlog || oldestKept === undefined) return;
    const older = await store.listEvents({ ...filter, afterId: lastId, order: "asc", limit: 1 });
    if (closed || older[0] === undefined || older[0].id >= oldestKept.id) return;
    const missed: MissedEvents = {
      after: lastId,
      before: oldestKept.id,
      message: `events after id ${lastId} and before ${oldestKept.id} were not sent: more than ${backlog} were waiting; reload the list`,
    };
    lastId = oldestKept.id - 1;
    if (!res.write(`event: missed\nid: ${lastId}\ndata: ${JSON.stringify(missed)}\n\n`)) pause();
  };

  /** Writes rows until the socket is full; false when it is. */
  const send = (rows: readonly EventRow[]): boolean => {
    for (const row of rows) {
      lastId = row.id;
      if (!res.write(`id: ${row.id}\ndata: ${JSON.stringify(eventView(row))}\n\n`)) return false;
    }
    return true;
  };

  const read = async (): Promise<void> => {
    if (closed || stalled) return;
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        // Only then: a client that keeps up gets every event of a burst,
        // however many the recorder stored at once.
        if (catchingUp) {
          catchingUp = false;
          await skipOld();
        }
        for (;;) {
          if (closed || stalled) return;
          const query: EventQuery = { ...filter, afterId: lastId, order: "asc", limit: BATCH };
          const rows = await store.listEvents(query);
          if (closed) return;
          if (!send(rows)) {
            pause();
            return;
          }
          if (rows.length < BATCH) break;
        }
      } while (again && !closed && !stalled);
    } catch (err) {
      logger.warn({ err: String(err) }, "event stream: reading the store failed");
    } finally {
      reading = false;
    }
  };

  const wake = (event: BootEvent): void => {
    if (options.mac && event.mac !== options.mac) return;
    if (settle) return;
    settle = setTimeout(() => {
      settle = undefined;
      void read();
    }, settleMs);
  };
  // With the recorder's callback the event is in the store already; the bus
  // alone only says it will be soon.
  const unsubscribe = options.onPersisted ? options.onPersisted(wake) : bus.subscribe(wake);
  const poll = setInterval(() => void read(), options.pollMs ?? 2000);
  const heartbeat = setInterval(() => {
    // A full socket needs no keep-alive, and must not be filled further.
    if (!closed && !stalled) res.write(": keep-alive\n\n");
  }, options.heartbeatMs ?? 15000);

  await read();
  await new Promise<void>((resolve) => {
    const done = (): void => {
      closed = true;
      unsubscribe();
      clearInterval(poll);
      clearInterval(heartbeat);
      if (settle) clearTimeout(settle);
      if (stalled) clearTimeout(stalled);
      resolve();
    };
    if (res.destroyed || res.writableEnded) done();
    else res.once("close", done);
  });
}
