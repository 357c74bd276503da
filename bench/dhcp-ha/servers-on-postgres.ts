/**
 * The DHCP servers the HA benchmark compares, each keeping its leases in
 * one PostgreSQL, started as their users run them and stopped with SIGKILL:
 *
 * - bootfleet: `node dist/src/cli/main.js serve`, the built program, full
 *   DHCP mode, `store: { driver: postgres }`, role `dhcp` only. Alone it
 *   writes leases as a single server does; as a pair it runs `ha:`
 *   load-balancing (docs/ha.md), every lease an `INSERT ... ON CONFLICT`
 *   claim the database arbitrates.
 * - kea-dhcp4 2.2 (Debian 12) with its PostgreSQL lease backend
 *   (`lease-database: { type: postgresql }`, schema by `kea-admin db-init
 *   pgsql`), raw sockets, one thread, logging at WARN, as bench/dhcp runs it.
 */
import type { ChildProcess } from "node:child_process";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { type KeaSubnet, killed, spawnKea } from "../dhcp/servers-under-test.js";
import { cpuSecondsOf } from "../support/cpu-seconds.js";
import { waitForStart } from "../support/wait-for-start.js";
import type { TestNetwork } from "../../test/support/test-network.js";

/** The network the servers serve: clients behind a relay, on a /24. */
export type RelayedNetwork = KeaSubnet;

export interface DhcpProcess {
  readonly pid: number;
  cpuSeconds(): number;
  kill(): Promise<void>;
}

function dhcpProcess(child: ChildProcess): DhcpProcess {
  const pid = child.pid!;
  return { pid, cpuSeconds: () => cpuSecondsOf(pid), kill: () => killed(child) };
}

export interface BootfleetOnPostgres {
  readonly net: TestNetwork;
  readonly dir: string;
  readonly repoRoot: string;
  readonly url: string;
  readonly relayed: RelayedNetwork;
  readonly name: string;
  readonly address: string;
  /** A host on the bridge to run in (net.addHost); the bridge's own namespace when absent. */
  readonly ns?: string | undefined;
  /** The pair's names, in order, for `ha:` load-balancing; absent: a single server. */
  readonly peers?: readonly string[] | undefined;
}

export async function startBootfleetOnPostgres(o: BootfleetOnPostgres): Promise<DhcpProcess> {
  const dataDir = join(o.dir, o.name);
  mkdirSync(dataDir, { recursive: true });
  const config = join(o.dir, `${o.name}.yaml`);
  writeFileSync(
    config,
    `server: { address: ${o.address}, data_dir: ${dataDir}, roles: [dhcp] }
services:
  dhcp: { mode: full, lease_time: 3600 }
store: { driver: postgres, url: "${o.url}" }
${o.peers ? `ha: { mode: load-balancing, this_server: ${o.name}, peers: [${o.peers.join(", ")}] }\n` : ""}networks:
  - subnet: ${o.relayed.subnet}
    pool: ${o.relayed.first}-${o.relayed.last}
    routers: [${o.relayed.router}]
defaults: { boot_unknown: true }
`,
  );
  const log = join(o.dir, `${o.name}.log`);
  const child = o.net.spawn(
    process.execPath,
    [join(o.repoRoot, "dist/src/cli/main.js"), "serve", "-c", config],
    log,
    { cwd: o.dir, ...(o.ns ? { ns: o.ns } : {}) },
  );
  await waitForStart(
    `bootfleet serve ${o.name}`,
    log,
    () =>
      child.exitCode === null && existsSync(log) && /dhcp \(full\) listening/.test(readFileSync(log, "utf8")),
  );
  return dhcpProcess(child);
}

/** The parts of a libpq URL kea and kea-admin take as separate settings. */
function pgSettings(url: string): { host: string; port: string; user: string; name: string } {
  // postgresql://user@/name?host=/socket/dir&port=N, as test/support/postgres-cluster.ts
  // writes it (WHATWG URL refuses the empty host a unix socket leaves).
  const m = /^postgres(?:ql)?:\/\/([^@/]+)@[^/]*\/([^?]+)(?:\?(.*))?$/.exec(url);
  if (!m) throw new Error(`not a PostgreSQL URL: ${url}`);
  const q = new URLSearchParams(m[3] ?? "");
  return {
    host: q.get("host") ?? "localhost",
    port: q.get("port") ?? "5432",
    user: decodeURIComponent(m[1]!),
    name: decodeURIComponent(m[2]!),
  };
}

export async function startKeaOnPostgres(
  net: TestNetwork,
  dir: string,
  url: string,
  relayed: RelayedNetwork,
): Promise<DhcpProcess> {
  const db = pgSettings(url);
  const init = spawnSync(
    "kea-admin",
    ["db-init", "pgsql", "-h", db.host, "-P", db.port, "-u", db.user, "-n", db.name],
    { encoding: "utf8" },
  );
  if (init.status !== 0) throw new Error(`kea-admin db-init pgsql: ${init.stdout}${init.stderr}`);
  const child = await spawnKea(
    net,
    dir,
    { type: "postgresql", host: db.host, port: Number(db.port), user: db.user, name: db.name },
    [relayed],
  );
  return dhcpProcess(child);
}

/** Bound leases in the database after the run: bootfleet's `leases`, kea's `lease4`. */
export async function boundLeases(url: string, kea: boolean): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const sql = kea
      ? "SELECT count(*)::int AS n FROM lease4 WHERE state = 0"
      : "SELECT count(*)::int AS n FROM leases WHERE state = 'bound'";
    return (await c.query<{ n: number }>(sql)).rows[0]!.n;
  } finally {
    await c.end();
  }
}
