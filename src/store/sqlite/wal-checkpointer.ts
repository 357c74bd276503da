/**
 * Moves SQLite's WAL checkpoints out of the thread that serves clients.
 *
 * By default the connection that commits checkpoints the WAL into the
 * database file every 1000 pages, inside that commit, and a checkpoint under
 * synchronous=NORMAL fsyncs the WAL and the database file. On a busy disk
 * that is tens of milliseconds, once more than a second, measured, with the
 * event loop stopped meanwhile: every DHCP, TFTP and HTTP client waits, and a
 * DHCP server that stops for a second has its clients retransmit (the
 * socket's buffer overflows long before). Here the serving connection never
 * checkpoints (wal_autocheckpoint = 0); a worker thread with its own
 * connection runs a PASSIVE checkpoint (it never blocks a writer) each
 * second in which the WAL was written.
 *
 * Durability is unchanged: a commit is in the WAL file when it returns,
 * whoever copies it into the database file later. If the worker cannot run,
 * the serving connection checkpoints as SQLite does by default.
 */
import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";

/** SQLite's own default threshold, used again when the worker is gone. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
const EVERY_MS = 1000;

/** The worker: one connection, a PASSIVE checkpoint per request (CommonJS, run with eval). */
const WORKER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
parentPort.on("message", (m) => {
  if (m === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    parentPort.postMessage("done");
  } catch (err) {
    parentPort.postMessage(String(err && err.message));
  }
});
`;

export class WalCheckpointer {
  readonly #file: string;
  readonly #db: Database.Database;
  readonly #timer: NodeJS.Timeout;
  #worker: Worker | null = null;
  #failed = false;
  #running = false;
  #walWrittenAt = 0;

  /** `db` is the serving connection to `file`, already in WAL mode. */
  constructor(file: string, db: Database.Database) {
    this.#file = file;
    this.#db = db;
    db.pragma("wal_autocheckpoint = 0");
    this.#timer = setInterval(() => this.#tick(), EVERY_MS);
    // A store left open must not keep the process alive for this.
    this.#timer.unref();
  }

  /** Stops the worker (its connection closed); the serving connection is the caller's to close. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    const worker = this.#worker;
    this.#worker = null;
    if (!worker) return;
    const exited = new Promise((r) => worker.once("exit", r));
    // Held until it has closed its connection (it is unref'd while it runs).
    worker.ref();
    worker.postMessage("close");
    await exited;
  }

  #tick(): void {
    if (this.#failed || this.#running) return;
    let writtenAt: number;
    try {
      writtenAt = statSync(`${this.#file}-wal`).mtimeMs;
    } catch {
      return; // no WAL file: nothing written since the last close
    }
    if (writtenAt === this.#walWrittenAt) return;
    this.#walWrittenAt = writtenAt;
    const worker = this.#worker ?? this.#start();
    if (!worker) return;
    this.#running = true;
    worker.postMessage("checkpoint");
  }

  /** The worker, started on the first checkpoint (a store opened for a moment never starts one). */
  #start(): Worker | null {
    try {
      const driver = createRequire(import.meta.url).resolve("better-sqlite3");
      const worker = new Worker(WORKER_CODE, { eval: true, workerData: { file: this.#file, driver } });
      worker.unref();
      worker.on("message", () => {
        this.#running = false;
      });
      worker.on("error", () => this.#fallBack());
      worker.on("exit", () => {
        if (this.#worker === worker) this.#fallBack();
      });
      this.#worker = worker;
      return worker;
    } catch {
      this.#fallBack();
      return null;
    }
  }

  #fallBack(): void {
    this.#failed = true;
    this.#worker = null;
    clearInterval(this.#timer);
    try {
      this.#db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    } catch {
      /* the store is closed */
    }
  }
}
