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
 * second in which the WAL was written, and under a steady stream of commits
 * makes the WAL start over once it passes 64 MiB (see WORKER_CODE).
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
/** Checkpoint passes per tick at most, each copying what the writer added during the one before. */
const MAX_PASSES = 16;
/**
 * Past this size a checkpoint makes the WAL start over, and the file is cut
 * back to it when SQLite does: a flood of commits leaves no file of its
 * peak size behind.
 */
const WAL_SIZE_LIMIT_BYTES = 64 << 20;

/** The worker: one connection, checkpoints on request (passes, then RESTART past the size limit; CommonJS, run with eval). */
const WORKER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const { statSync } = require("node:fs");
const db = new Database(workerData.file, { fileMustExist: true });
const walBytes = () => {
  try {
    return statSync(workerData.file + "-wal").size;
  } catch {
    return 0;
  }
};
db.pragma("busy_timeout = 5000");
parentPort.on("message", (m) => {
  if (m === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    // A pass copies the WAL as it was when the pass began; what is
    // committed meanwhile waits for the next. SQLite starts the WAL over
    // (instead of appending) only at a commit that finds all of it copied,
    // so under a steady stream of commits it grew by hundreds of MB a
    // minute. Passes repeat while commits keep coming (each has less to
    // copy). Past the size limit, one RESTART checkpoint right after them
    // copies only the last few commits, holding the writer off for that
    // long (its busy timeout waits), and the next commit starts the WAL over.
    let frames = -1;
    for (let pass = 0; pass < ${MAX_PASSES}; pass++) {
      const [r] = db.pragma("wal_checkpoint(PASSIVE)");
      if (!r || r.log === frames) break;
      frames = r.log;
    }
    if (walBytes() > workerData.walSizeLimit) db.pragma("wal_checkpoint(RESTART)");
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
  readonly #walSizeLimit: number;
  #worker: Worker | null = null;
  #failed = false;
  #running = false;
  #walWrittenAt = 0;

  /** `db` is the serving connection to `file`, already in WAL mode; `walSizeLimit` is for tests. */
  constructor(file: string, db: Database.Database, walSizeLimit = WAL_SIZE_LIMIT_BYTES) {
    this.#file = file;
    this.#db = db;
    this.#walSizeLimit = walSizeLimit;
    db.pragma("wal_autocheckpoint = 0");
    db.pragma(`journal_size_limit = ${walSizeLimit}`);
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
      const worker = new Worker(WORKER_CODE, {
        eval: true,
        workerData: { file: this.#file, driver, walSizeLimit: this.#walSizeLimit },
      });
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
