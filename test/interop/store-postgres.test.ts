/**
 * The shared store suite against a real PostgreSQL (Debian's postgresql):
 * initdb into a temp dir, postgres listening only on a unix socket in that
 * dir (no TCP at all), one fresh database per test, stopped by PID after.
 * root cannot run postgres, so as root the server runs as the `postgres`
 * user the Debian package creates.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { sqlMigrations } from "../../src/store/sql-migrations.js";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.js";
import { runStoreSuite } from "../../src/store/store-suite.js";

function postgresBin(name: string): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, "bin", name)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(`${name} not found under ${base}: install the Debian package 'postgresql'`);
  }
  return join(base, versions[0]!, "bin", name);
}

/** uid/gid to run the server as: ourselves, or `postgres` when we are root. */
function serverIds(): { uid: number; gid: number } {
  const me = userInfo();
  if (me.uid !== 0) return { uid: me.uid, gid: me.gid };
  const id = (flag: string) => {
    const r = spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error("no 'postgres' user: install the Debian package 'postgresql'");
    return Number(r.stdout.trim());
  };
  return { uid: id("-u"), gid: id("-g") };
}

const dir = mkdtempSync(join(tmpdir(), `bf-pg-${process.pid}-`));
const dataDir = join(dir, "data");
const port = 20000 + Math.floor(Math.random() * 20000); // names the socket file only
const user = "bootfleet";
let server: ChildProcess | undefined;
let admin: pg.Pool | undefined;

const urlFor = (db: string) => `postgresql://${user}@/${db}?host=${encodeURIComponent(dir)}&port=${port}`;

before(async () => {
  const ids = serverIds();
  chownSync(dir, ids.uid, ids.gid);
  const env = { ...process.env, LC_ALL: "C", HOME: dir };
  const init = spawnSync(
    postgresBin("initdb"),
    ["-D", dataDir, "-U", user, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
    { uid: ids.uid, gid: ids.gid, env, encoding: "utf8" },
  );
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr}`);
  server = spawn(
    postgresBin("postgres"),
    ["-D", dataDir, "-k", dir, "-p", String(port), "-c", "listen_addresses=", "-c", "fsync=off"],
    { uid: ids.uid, gid: ids.gid, env, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  server.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  // Ready when a connection succeeds; bounded wait.
  admin = new pg.Pool({ connectionString: urlFor("postgres"), max: 1 });
  admin.on("error", () => {});
  for (let i = 0; ; i++) {
    try {
      await admin.query("SELECT 1");
      break;
    } catch (err) {
      if (i >= 150 || server.exitCode !== null)
        throw new Error(`postgres did not start: ${String(err)}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

after(async () => {
  await admin?.end().catch(() => {});
  if (server?.pid !== undefined && server.exitCode === null) {
    const exited = new Promise((r) => server!.once("exit", r));
    process.kill(server.pid, "SIGINT"); // fast shutdown
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function freshDatabase(): Promise<string> {
  const db = `bf_${++n}`;
  await admin!.query(`CREATE DATABASE ${db}`);
  return urlFor(db);
}

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
