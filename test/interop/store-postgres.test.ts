/**
 * The shared store suite against a real PostgreSQL (Debian's postgresql,
 * started by test/support/postgres-cluster.ts: a unix socket in a temp dir,
 * no TCP at all), one fresh database per test, stopped by PID after.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.js";
import { sqlMigrations } from "../../src/store/sql-migrations.js";
import { runStoreSuite } from "../../src/store/store-suite.js";
import { PostgresCluster } from "../support/postgres-cluster.js";

let cluster: PostgresCluster | undefined;

before(async () => {
  cluster = await PostgresCluster.start("store");
});

after(async () => {
  await cluster?.stop();
});

/** One fresh database per test. */
const freshDatabase = (): Promise<string> => cluster!.database();

runStoreSuite(
  "postgres",
  async () => {
    const url = await freshDatabase();
    const store = openPostgresStore(url);
    await store.migrate();
    return { store, reopen: async () => openPostgresStore(url) };
  },
  { exactRetention: false, persistent: true },
);

describe("postgres store", () => {
  it("migrates once when servers start together; refuses a newer schema", async () => {
    const url = await freshDatabase();
    const stores = [openPostgresStore(url), openPostgresStore(url), openPostgresStore(url)];
    try {
      await Promise.all(stores.map((s) => s.migrate()));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query<{ version: number }>("SELECT version FROM schema_version ORDER BY version");
      assert.deepEqual(
        r.rows.map((x) => x.version),
        sqlMigrations("postgres").map((m) => m.version),
      );
      await c.query("INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 0)");
    } finally {
      await c.end();
    }
    const s = openPostgresStore(url);
    try {
      await assert.rejects(s.migrate(), {
        message: `store: database schema version 999 is newer than this bootfleet knows (${sqlMigrations("postgres").at(-1)!.version}); upgrade bootfleet`,
      });
    } finally {
      await s.close();
    }
  });

  it("stores a NUL in a log line and in event details (as U+FFFD)", async () => {
    const s = openPostgresStore(await freshDatabase());
    try {
      await s.migrate();
      await s.addLog(
        {
          at: 1,
          mac: null,
          ip: "198.18.0.1",
          facility: null,
          severity: null,
          hostname: "h\u0000",
          app: null,
          message: "a\u0000b",
        },
        { perMachine: 10, total: 10 },
      );
      assert.equal((await s.listLogs({}))[0]?.message, "a\uFFFDb");
      await s.addEvent({ at: 1, type: "x.y", protocol: "x", detail: { s: "\u0000", t: "\\u0000" } });
      assert.deepEqual((await s.listEvents({}))[0]?.detail, { s: "\uFFFD", t: "\\u0000" });
    } finally {
      await s.close();
    }
  });
});
