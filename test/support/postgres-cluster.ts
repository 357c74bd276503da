/**
 * A throwaway PostgreSQL for tests (Debian's postgresql): initdb into a temp
 * dir, the server listening only on a unix socket in that dir (no TCP at
 * all), stopped by PID in stop(). root cannot run postgres, so as root the
 * server runs as the `postgres` user the Debian package creates. Used by the
 * store suite and by tests that run several bootfleet processes on one
 * database.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";

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

export class PostgresCluster {
  readonly dir: string;
  readonly #port: number;
  readonly #server: ChildProcess;
  readonly #admin: pg.Pool;
  #databases = 0;

  private constructor(dir: string, port: number, server: ChildProcess, admin: pg.Pool) {
    this.dir = dir;
    this.#port = port;
    this.#server = server;
    this.#admin = admin;
  }

  static async start(tag: string): Promise<PostgresCluster> {
    const dir = mkdtempSync(join(tmpdir(), `bf-${tag}-pg-${process.pid}-`));
    // Other processes of the test (servers run as root in namespaces) reach the socket here.
    chmodSync(dir, 0o755);
    const dataDir = join(dir, "data");
    const port = 20000 + Math.floor(Math.random() * 20000); // names the socket file only
    const ids = serverIds();
    chownSync(dir, ids.uid, ids.gid);
    const env = { ...process.env, LC_ALL: "C", HOME: dir };
    const init = spawnSync(
      postgresBin("initdb"),
      ["-D", dataDir, "-U", "bootfleet", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
      { uid: ids.uid, gid: ids.gid, env, encoding: "utf8" },
    );
    if (init.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`initdb failed (${init.status}): ${init.stderr}`);
    }
    const server = spawn(
      postgresBin("postgres"),
      ["-D", dataDir, "-k", dir, "-p", String(port), "-c", "listen_addresses=", "-c", "fsync=off"],
      { uid: ids.uid, gid: ids.gid, env, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    server.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const admin = new pg.Pool({ connectionString: urlFor(dir, port, "postgres"), max: 1 });
    admin.on("error", () => {});
    const cluster = new PostgresCluster(dir, port, server, admin);
    for (let i = 0; ; i++) {
      try {
        await admin.query("SELECT 1");
        return cluster;
      } catch (err) {
        if (i >= 150 || server.exitCode !== null) {
          await cluster.stop();
          throw new Error(`postgres did not start: ${String(err)}\n${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** A new empty database; returns its URL. */
  async database(): Promise<string> {
    const db = `bf_${++this.#databases}`;
    await this.#admin.query(`CREATE DATABASE ${db}`);
    return urlFor(this.dir, this.#port, db);
  }

  async stop(): Promise<void> {
    await this.#admin.end().catch(() => {});
    const server = this.#server;
    if (server.pid !== undefined && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      process.kill(server.pid, "SIGINT"); // fast shutdown
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function urlFor(dir: string, port: number, db: string): string {
  return `postgresql://bootfleet@/${db}?host=${encodeURIComponent(dir)}&port=${port}`;
}
