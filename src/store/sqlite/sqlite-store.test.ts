/**
 * SQLite-only checks: leases acknowledged before a kill -9 are there after
 * it (WAL + synchronous=NORMAL), and the migration bookkeeping.
 * Run as a child with BF_SQLITE_WRITER=<file>, this file is the writer that
 * gets killed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { after, describe, it } from "node:test";
import { sqlMigrations } from "../sql-migrations.js";
import { openSqliteStore } from "./sqlite-store.js";

const writerFile = process.env.BF_SQLITE_WRITER;

if (writerFile) {
  // Child: write leases as fast as possible and acknowledge each on stdout
  // only after putLease returned (i.e. after the commit), until killed.
  const store = openSqliteStore(writerFile);
  for (let i = 0; ; i++) {
    await store.putLease({
      ip: `198.18.${(i >> 8) & 255}.${i & 255}`,
      mac: "52:54:00:00:00:01",
      network: "198.18.0.0/16",
      state: "bound",
      hostname: null,
      clientId: null,
      start: i,
      expires: i + 1,
    });
    process.stdout.write(`${i}\n`);
    if (i % 64 === 0) await new Promise((r) => setImmediate(r));
  }
} else {
  const dir = mkdtempSync(join(tmpdir(), "bf-sqlite-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("sqlite store", () => {
    it("leases committed before kill -9 survive it", async () => {
      const file = join(dir, "kill9.sqlite");
      openSqliteStore(file).close();
      const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
        env: { ...process.env, BF_SQLITE_WRITER: file },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let acked = -1;
      let buf = "";
      await new Promise<void>((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", (code, signal) => {
          if (signal === "SIGKILL") resolve();
          else reject(new Error(`writer exited on its own: code ${code} signal ${signal}`));
        });
        child.stdout.setEncoding("utf8");
        child.stdout.on("data", (chunk: string) => {
          buf += chunk;
          const lines = buf.split("\n");
          buf = lines.pop() ?? "";
          const last = lines.at(-1);
          if (last !== undefined) acked = Number(last);
          // Kill mid-stream, while it is still writing.
          if (acked >= 3000 && child.exitCode === null && !child.killed) child.kill("SIGKILL");
        });
      });
      assert.ok(acked >= 3000);
      const store = openSqliteStore(file);
      try {
        const count = await store.countLeases({});
        assert.ok(count >= acked + 1, `${count} leases after kill -9, ${acked + 1} were acknowledged`);
        for (let i = 0; i <= acked; i += 97) {
          const l = await store.getLeaseByIp(`198.18.${(i >> 8) & 255}.${i & 255}`);
          assert.equal(l?.start, i);
        }
      } finally {
        await store.close();
      }
    });

    it("records each migration once and refuses a newer schema", async () => {
      const file = join(dir, "versions.sqlite");
      const s = openSqliteStore(file);
      await s.migrate();
      await s.close();
      openSqliteStore(file).close();
      const db = new Database(file);
      const versions = db.prepare("SELECT version FROM schema_version ORDER BY version").all() as {
        version: number;
      }[];
      assert.deepEqual(
        versions.map((v) => v.version),
        sqlMigrations("sqlite").map((m) => m.version),
      );
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      db.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 0)").run();
      db.close();
      assert.throws(() => openSqliteStore(file), {
        message: `store: database schema version 999 is newer than this bootfleet knows (${sqlMigrations("sqlite").at(-1)!.version}); upgrade bootfleet`,
      });
    });
  });
}
