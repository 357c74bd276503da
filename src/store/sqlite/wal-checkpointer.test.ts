import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { waitUntil } from "../../../test/support/wait-until.js";
import { openSqliteStore } from "./sqlite-store.js";
import { WalCheckpointer } from "./wal-checkpointer.js";

const dir = mkdtempSync(join(tmpdir(), "bf-checkpoint-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Leases in the database file alone, without its WAL: what checkpoints have
 * copied in. -1 for a copy taken while a checkpoint was writing it.
 */
function leasesInMainFile(file: string): number {
  const copy = join(dir, "copy.sqlite");
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${copy}${suffix}`, { force: true });
  copyFileSync(file, copy);
  const db = new Database(copy, { readonly: true });
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE name = 'leases'").get();
    return table ? (db.prepare("SELECT count(*) AS n FROM leases").get() as { n: number }).n : 0;
  } catch {
    return -1;
  } finally {
    db.close();
  }
}

describe("WAL checkpoints", () => {
  it("are made by the worker: the database file gets the committed leases, and close() stops it", async () => {
    const file = join(dir, "store.sqlite");
    const store = openSqliteStore(file);
    try {
      await store.migrate();
      await store.putLeases(
        Array.from({ length: 2000 }, (_, i) => ({
          ip: `198.18.${i >> 8}.${i & 255}`,
          mac: "52:54:00:00:00:01",
          network: "198.18.0.0/16",
          state: "bound" as const,
          hostname: null,
          clientId: null,
          start: i,
          expires: i + 1,
        })),
      );
      await waitUntil(
        () => leasesInMainFile(file) === 2000,
        "the leases checkpointed into the database file",
      );
    } finally {
      await store.close();
    }
    // Closed: the last connection gone, the WAL is folded in and removed as usual.
    assert.equal(leasesInMainFile(file), 2000);
  });

  it("start the WAL over under a steady stream of commits instead of letting it grow, and keep every row", async () => {
    // A commit every millisecond leaves no moment in which a checkpoint has
    // copied the whole WAL, which is when SQLite starts it over; without
    // the size limit's RESTART it only grows.
    const file = join(dir, "stream.sqlite");
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, mac TEXT, v BLOB); CREATE INDEX t_mac ON t (mac)");
    const limit = 1 << 20;
    const checkpointer = new WalCheckpointer(file, db, limit);
    const insert = db.prepare("INSERT INTO t (mac, v) VALUES (?, randomblob(100))");
    const commit = db.transaction(() => {
      for (let i = 0; i < 4; i++) insert.run(`52:54:00:${Math.floor(Math.random() * 1e6)}`);
    });
    let rows = 0;
    let largest = 0;
    let shrank = false;
    const walBytes = (): number => {
      try {
        return statSync(`${file}-wal`).size;
      } catch {
        return 0;
      }
    };
    const writer = setInterval(() => {
      commit();
      rows += 4;
      const size = walBytes();
      if (size < largest) shrank = true;
      largest = Math.max(largest, size);
    }, 1);
    try {
      await waitUntil(() => shrank && largest > limit, "the WAL started over while commits went on", 30_000);
    } finally {
      clearInterval(writer);
      await checkpointer.close();
    }
    assert.equal((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n, rows);
    db.close();
  });
});
