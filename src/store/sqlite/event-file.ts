/**
 * The SQLite store's events: a table written in the serving thread
 * (InlineEvents, for an in-memory store and as a fallback), or a file of
 * their own written by a worker thread (EventFile, for every store on disk).
 *
 * Why a thread: a DHCP exchange publishes four events, and storing a row
 * with its three indexes (by MAC for the machine pages, by type for the
 * image view, by time for retention) costs 6-8 us in SQLite. With the rows
 * written in the serving thread, `bootfleet serve` spent 83 us of CPU per
 * unpaced broadcast exchange, 47 us with DHCP events not stored
 * (bench/dhcp): the event rows were some 40% of the thread that answers
 * every client. In a worker they cost that thread one structured clone per
 * event.
 *
 * Why a file of their own: SQLite lets one connection write a file at a
 * time, and a connection that finds the file locked waits in SQLite's busy
 * handler, asleep in the thread that asked, 1 ms and more. A lease is
 * committed before its ACK in the serving thread; it must never wait for a
 * batch of events. So the worker is the only writer of
 * `<name>-events.sqlite`, and the serving thread reads it through a
 * connection of its own (in WAL mode a reader never waits for the writer).
 * Events that an older version stored in the main file are moved over when
 * the store opens (moveEventsOut).
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { SqlWhere } from "../sql-where.js";
import type { EventQuery, EventRow, NewEvent } from "../store.js";

type Db = Database.Database;

const INSERT_SQL =
  "INSERT INTO events (at, type, protocol, mac, ip, stage, detail) VALUES (?, ?, ?, ?, ?, ?, ?)";
/** The oldest events before a time, `limit` at most (pruneLimit). */
const PRUNE_SQL = "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY at LIMIT ?)";
const EVENT_COLUMNS = "id, at, type, protocol, mac, ip, stage, detail";

/** PRUNE_SQL's limit: none given is -1, SQLite's "no limit". */
function pruneLimit(limit: number | undefined): number {
  return limit === undefined ? -1 : Math.max(0, limit);
}

/** The event file's tables, as the main file's migrations 1 and 4 made them there. */
const EVENT_FILE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    type     TEXT NOT NULL,
    protocol TEXT NOT NULL,
    mac      TEXT,
    ip       TEXT,
    stage    TEXT,
    detail   TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX IF NOT EXISTS events_mac ON events (mac, id);
  CREATE INDEX IF NOT EXISTS events_type ON events (type, id);
  CREATE INDEX IF NOT EXISTS events_at ON events (at);
`;

/** Where a store file's events live: `bootfleet.sqlite` -> `bootfleet-events.sqlite`. */
export function eventFileOf(storeFile: string): string {
  return storeFile.endsWith(".sqlite")
    ? `${storeFile.slice(0, -".sqlite".length)}-events.sqlite`
    : `${storeFile}-events`;
}

/** An event's detail as stored; the text when the sender had to make it (see EventFile.add). */
interface WireEvent extends NewEvent {
  readonly detailText?: string;
}

/** The events table of a connection, written and read in the calling thread. */
export class InlineEvents {
  readonly #db: Db;
  readonly #insert: Database.Statement;
  readonly #prune: Database.Statement;
  readonly #addAll: (events: readonly WireEvent[]) => number[];
  /** Prepared once per distinct SQL text that list() builds. */
  readonly #queries = new Map<string, Database.Statement>();

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare(INSERT_SQL);
    this.#prune = db.prepare(PRUNE_SQL);
    this.#addAll = db.transaction((events: readonly WireEvent[]) => events.map((e) => this.#addOne(e)));
  }

  #addOne(e: WireEvent): number {
    const row = toWire(e);
    if (typeof row[6] !== "string") row[6] = JSON.stringify(row[6]);
    return Number(this.#insert.run(row).lastInsertRowid);
  }

  /** Every event or none, in one transaction. */
  add(events: readonly WireEvent[]): number[] {
    return events.length === 0 ? [] : this.#addAll(events);
  }

  prune(before: number, limit?: number): number {
    return this.#prune.run(before, pruneLimit(limit)).changes;
  }

  list(q: EventQuery): EventRow[] {
    const w = new SqlWhere()
      .when(q.mac, "mac = ?")
      .when(q.type, "type = ?")
      .when(q.protocol, "protocol = ?")
      .when(q.afterId, "id > ?");
    const params = w.params;
    const sql =
      `SELECT ${EVENT_COLUMNS} FROM events${w.sql}` +
      ` ORDER BY id ${q.order === "desc" ? "DESC" : "ASC"}` +
      (q.limit === undefined ? "" : " LIMIT ?");
    if (q.limit !== undefined) params.push(Math.max(0, q.limit));
    let stmt = this.#queries.get(sql);
    if (!stmt) this.#queries.set(sql, (stmt = this.#db.prepare(sql)));
    const rows = stmt.all(...params) as (Omit<EventRow, "detail"> & { detail: string })[];
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }
}

/**
 * The worker: the event file's only writer in this process (CommonJS, run
 * with eval). Requests are answered in order, each after its commit. An
 * event comes as toWire makes it.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = NORMAL");
db.pragma("journal_size_limit = " + (64 << 20));
const insert = db.prepare(workerData.insertSql);
const prune = db.prepare(workerData.pruneSql);
const addAll = db.transaction((events) =>
  events.map((e) =>
    Number(
      insert.run(e[0], e[1], e[2], e[3], e[4], e[5], typeof e[6] === "string" ? e[6] : JSON.stringify(e[6])).lastInsertRowid,
    ),
  ),
);
parentPort.on("message", (m) => {
  if (m === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    if (m.op === "add") parentPort.postMessage({ seq: m.seq, result: addAll(m.events) });
    else parentPort.postMessage({ seq: m.seq, result: prune.run(m.before, m.limit).changes });
  } catch (err) {
    parentPort.postMessage({ seq: m.seq, error: String((err && err.message) || err) });
  }
});
`;

/**
 * An event as the worker takes it: [at, type, protocol, mac, ip, stage,
 * detail or its JSON text]. An array costs the serving thread half what an
 * object with named fields does to clone (0.45 against 0.85 us an event).
 */
function toWire(e: WireEvent): unknown[] {
  return [
    e.at,
    e.type,
    e.protocol,
    e.mac ?? null,
    e.ip ?? null,
    e.stage ?? null,
    e.detailText ?? e.detail ?? {},
  ];
}

interface Pending {
  readonly resolve: (value: never) => void;
  readonly reject: (err: Error) => void;
}

/** A store file's events in their own file, written by a worker thread, read here. */
export class EventFile {
  readonly #file: string;
  readonly #db: Db;
  /** Reads; also the writer when the worker cannot run. */
  readonly #inline: InlineEvents;
  readonly #pending = new Map<number, Pending>();
  #seq = 0;
  #worker: Worker | null = null;
  #failed = false;
  #closed = false;

  /** Opens (creating when absent) the event file. */
  constructor(file: string) {
    this.#file = file;
    this.#db = new Database(file);
    try {
      this.#db.pragma("journal_mode = WAL");
      this.#db.pragma("synchronous = NORMAL");
      this.#db.pragma("busy_timeout = 5000");
      this.#db.exec(EVENT_FILE_SCHEMA);
      this.#inline = new InlineEvents(this.#db);
    } catch (err) {
      this.#db.close();
      throw err;
    }
  }

  get file(): string {
    return this.#file;
  }

  /** Stores the events in one transaction; their ids in order. */
  add(events: readonly NewEvent[]): Promise<number[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.#ask(
      (seq) => ({ op: "add", seq, events: events.map(toWire) }),
      () => this.#inline.add(events),
    ).catch((err: Error) => {
      // postMessage clones the events; a detail it cannot clone (a
      // function) is what JSON.stringify would have dropped: send the text.
      if (err.name !== "DataCloneError") throw err;
      const texts = events.map((e) => ({
        ...e,
        detail: undefined,
        detailText: JSON.stringify(e.detail ?? {}),
      }));
      return this.#ask(
        (seq) => ({ op: "add", seq, events: texts.map(toWire) }),
        () => this.#inline.add(texts),
      );
    });
  }

  prune(before: number, limit?: number): Promise<number> {
    return this.#ask(
      (seq) => ({ op: "prune", seq, before, limit: pruneLimit(limit) }),
      () => this.#inline.prune(before, limit),
    );
  }

  list(q: EventQuery): EventRow[] {
    return this.#inline.list(q);
  }

  /** Waits for what was asked, stops the worker, closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    if (worker) {
      const exited = new Promise((r) => worker.once("exit", r));
      worker.ref();
      // Requests are answered in order: "close" comes after every one asked.
      worker.postMessage("close");
      await exited;
    }
    // Only a worker that died first leaves requests unanswered.
    for (const p of this.#pending.values()) p.reject(new Error("store: the event file was closed"));
    this.#pending.clear();
    this.#db.close();
  }

  #ask<T>(message: (seq: number) => unknown, inline: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("store: the event file is closed"));
    const worker = this.#failed ? null : (this.#worker ?? this.#start());
    if (!worker) {
      try {
        return Promise.resolve(inline());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const seq = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      try {
        worker.postMessage(message(seq));
      } catch (err) {
        reject(err as Error);
        return;
      }
      // A request held keeps the process alive until it is answered.
      if (this.#pending.size === 0) worker.ref();
      this.#pending.set(seq, { resolve: resolve as (value: never) => void, reject });
    });
  }

  /** The worker, started on the first write (a store opened to read never starts one). */
  #start(): Worker | null {
    try {
      const worker = new Worker(WORKER_CODE, {
        eval: true,
        workerData: {
          file: this.#file,
          driver: createRequire(import.meta.url).resolve("better-sqlite3"),
          insertSql: INSERT_SQL,
          pruneSql: PRUNE_SQL,
        },
      });
      worker.unref();
      worker.on("message", (m: { seq: number; result?: never; error?: string }) => {
        const p = this.#pending.get(m.seq);
        if (!p) return;
        this.#pending.delete(m.seq);
        if (this.#pending.size === 0) worker.unref();
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.result as never);
      });
      worker.on("error", (err: Error & { code?: string }) => {
        // An SQLite error comes over from the thread with its code alone.
        const why = err.message || err.code || String(err);
        this.#fallBack(worker, new Error(`the event writer thread stopped: ${why}; writing in this one`));
      });
      worker.on("exit", () => this.#fallBack(worker, new Error("the event writer thread stopped")));
      this.#worker = worker;
      return worker;
    } catch {
      this.#failed = true;
      return null;
    }
  }

  /** The worker died: what it was asked fails (the caller may ask again), later writes are made here. */
  #fallBack(worker: Worker, err: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#failed = true;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}

/**
 * Moves the events an older version kept in the main file to the event
 * file, keeping their ids (`events --follow` and SSE clients resume by id).
 * A crash between the copy and the delete leaves both copies; the next open
 * copies again and skips ids already there. `eventFile` is open (its
 * tables made).
 */
export function moveEventsOut(db: Db, eventFile: EventFile): void {
  const any = db.prepare("SELECT 1 FROM events LIMIT 1").get();
  if (any === undefined) return;
  db.prepare("ATTACH DATABASE ? AS event_file").run(eventFile.file);
  try {
    db.transaction(() => {
      db.exec(`
        INSERT OR IGNORE INTO event_file.events (${EVENT_COLUMNS})
          SELECT ${EVENT_COLUMNS} FROM main.events ORDER BY id;
        DELETE FROM main.events;`);
    }).immediate();
  } finally {
    db.exec("DETACH DATABASE event_file");
  }
}
