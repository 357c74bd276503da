import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { waitUntil } from "../../../test/support/wait-until.js";
import { openSqliteStore } from "./sqlite-store.js";

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
});
