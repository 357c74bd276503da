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
 */
import type { ServerResponse } from "node:http";
import type { BootEvent, EventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { EventQuery, Store } from "../store/store.js";
import { eventView } from "./machine-view.js";

export interface EventStreamOptions {
  readonly store: Store;
  readonly bus: EventBus;
  readonly logger: Logger;
  /** Send events with id > afterId; undefined: only events from now on. */
  readonly afterId: number | undefined;
  readonly mac?: string | undefined;
  readonly type?: string | undefined;
  /** EventRecorder.onPersisted: read the store as soon as an event is written. */
  readonly onPersisted?: ((listener: (event: BootEvent) => void) => () => void) | undefined;
  /** Delay between a bus event and reading the store (lets the recorder write it). */
  readonly settleMs?: number | undefined;
  readonly pollMs?: number | undefined;
  readonly heartbeatMs?: number | undefined;
}

const BATCH = 500;

/** Writes the stream to `res` until the client goes away. Resolves when it has. */
export async function streamEvents(res: ServerResponse, options: EventStreamOptions): Promise<void> {
  const { store, bus, logger } = options;
  const settleMs = options.settleMs ?? (options.onPersisted ? 0 : 25);
  let lastId = options.afterId;
  if (lastId === undefined) {
    const newest = await store.listEvents({ order: "desc", limit: 1 });
    lastId = newest[0]?.id ?? 0;
  }

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
  let settle: NodeJS.Timeout | undefined;

  const read = async (): Promise<void> => {
    if (closed) return;
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        for (;;) {
          const query: EventQuery = {
            afterId: lastId,
            mac: options.mac,
            type: options.type,
            order: "asc",
            limit: BATCH,
          };
          const rows = await store.listEvents(query);
          if (closed) return;
          for (const row of rows) {
            res.write(`id: ${row.id}\ndata: ${JSON.stringify(eventView(row))}\n\n`);
            lastId = Math.max(lastId ?? 0, row.id);
          }
          if (rows.length < BATCH) break;
        }
      } while (again && !closed);
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
    if (!closed) res.write(": keep-alive\n\n");
  }, options.heartbeatMs ?? 15000);

  await read();
  await new Promise<void>((resolve) => {
    const done = (): void => {
      closed = true;
      unsubscribe();
      clearInterval(poll);
      clearInterval(heartbeat);
      if (settle) clearTimeout(settle);
      resolve();
    };
    if (res.destroyed || res.writableEnded) done();
    else res.once("close", done);
  });
}
