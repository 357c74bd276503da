/**
 * The two DHCP servers the benchmark compares, each started as its users
 * run it, in the bench's server namespace, and stopped with SIGKILL (as a
 * crash would) so that what each kept on disk can be counted:
 *
 * - bootfleet: `node dist/src/cli/main.js serve -c bootfleet.yaml`, the
 *   built program, full DHCP mode, the SQLite store in its data folder
 *   (every lease written before its ACK leaves), every other service at
 *   its default.
 * - kea-dhcp4 2.2 (Debian 12): memfile lease database with `persist: true`
 *   (its CSV file), raw sockets and one thread (its defaults), logging at
 *   WARN, so that it writes no log line per lease (Debian's INFO default
 *   does: DHCP4_LEASE_ALLOC).
 *
 * Both serve the same two networks: the local segment and a /16 behind a
 * relay (see dhcp-bench.ts).
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { TestNetwork } from "../../test/support/test-network.js";
import { cpuSecondsOf } from "../support/cpu-seconds.js";
import { waitForStart } from "../support/wait-for-start.js";

/** The networks both servers serve. */
export interface BenchNetworks {
  /** Our address on the local segment (the clients' bridge). */
  readonly serverAddress: string;
  readonly local: { readonly subnet: string; readonly first: string; readonly last: string };
  readonly relayed: {
    readonly subnet: string;
    readonly first: string;
    readonly last: string;
    readonly router: string;
  };
}

export interface ServerUnderTest {
  readonly name: string;
  readonly pid: number;
  /** CPU seconds (user + system, every thread) the process has used so far. */
  cpuSeconds(): number;
  /** SIGKILL, then the addresses it holds as bound in what it wrote to disk. */
  killAndCountLeases(): Promise<number>;
}

export async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

/** Is some socket in the namespace bound to UDP `port`? (/proc/net/udp is per namespace.) */
function udpPortBound(net: TestNetwork, port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return net
    .run("cat", "/proc/net/udp")
    .split("\n")
    .some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex));
}

export async function startBootfleet(
  net: TestNetwork,
  dir: string,
  repoRoot: string,
  nets: BenchNetworks,
  extraNodeArgs: readonly string[] = [],
  leaseCachePercent = 25,
): Promise<ServerUnderTest> {
  const dataDir = join(dir, "data");
  mkdirSync(dataDir, { recursive: true });
  const config = join(dir, "bootfleet.yaml");
  writeFileSync(
    config,
    `server: { address: ${nets.serverAddress}, data_dir: ${dataDir} }
services:
  dhcp: { mode: full, lease_time: 3600, lease_cache_threshold: ${leaseCachePercent} }
networks:
  - subnet: ${nets.local.subnet}
    pool: ${nets.local.first}-${nets.local.last}
    routers: [${nets.serverAddress}]
  - subnet: ${nets.relayed.subnet}
    pool: ${nets.relayed.first}-${nets.relayed.last}
    routers: [${nets.relayed.router}]
defaults: { boot_unknown: true }
`,
  );
  const log = join(dir, "serve.log");
  const child = net.spawn(
    process.execPath,
    [...extraNodeArgs, join(repoRoot, "dist/src/cli/main.js"), "serve", "-c", config],
    log,
    { cwd: dir },
  );
  await waitForStart(
    "bootfleet serve",
    log,
    () =>
      child.exitCode === null && existsSync(log) && /dhcp \(full\) listening/.test(readFileSync(log, "utf8")),
  );
  const pid = child.pid!;
  return {
    name: "bootfleet",
    pid,
    cpuSeconds: () => cpuSecondsOf(pid),
    killAndCountLeases: async () => {
      await killed(child);
      const db = new Database(join(dataDir, "bootfleet.sqlite"), { fileMustExist: true });
      try {
        const row = db.prepare("SELECT count(*) AS n FROM leases WHERE state = 'bound'").get() as {
          n: number;
        };
        return row.n;
      } finally {
        db.close();
      }
    },
  };
}

/**
 * kea-dhcp4 on memfile. `leaseCachePercent` > 0 sets kea's cache-threshold
 * (off by default in kea) to the same share of the lease time as
 * bootfleet's lease_cache_threshold, so both reuse the same leases.
 */
export async function startKea(
  net: TestNetwork,
  dir: string,
  nets: BenchNetworks,
  leaseCachePercent = 25,
): Promise<ServerUnderTest> {
  const leases = join(dir, "kea-leases4.csv");
  const child = await spawnKea(
    net,
    dir,
    { type: "memfile", persist: true, name: leases, "lfc-interval": 0 },
    [
      {
        subnet: nets.local.subnet,
        first: nets.local.first,
        last: nets.local.last,
        router: nets.serverAddress,
      },
      nets.relayed,
    ],
    leaseCachePercent > 0 ? { "cache-threshold": leaseCachePercent / 100 } : {},
  );
  const pid = child.pid!;
  return {
    name: "kea",
    pid,
    cpuSeconds: () => cpuSecondsOf(pid),
    killAndCountLeases: async () => {
      await killed(child);
      return boundInKeaCsv(leases);
    },
  };
}

/** A subnet kea serves: its pool and its router option. */
export interface KeaSubnet {
  readonly subnet: string;
  readonly first: string;
  readonly last: string;
  readonly router: string;
}

/**
 * kea-dhcp4 in the bench's namespace with `leaseDatabase` (kea's
 * `lease-database` object) serving `subnets`, raw sockets on the bridge,
 * one thread, logging at WARN; resolves once it listens on port 67.
 */
export async function spawnKea(
  net: TestNetwork,
  dir: string,
  leaseDatabase: Record<string, unknown>,
  subnets: readonly KeaSubnet[],
  globals: Record<string, unknown> = {},
): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "kea-dhcp4.json");
  writeFileSync(
    config,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: [net.bridge], "dhcp-socket-type": "raw" },
        "lease-database": leaseDatabase,
        "valid-lifetime": 3600,
        ...globals,
        subnet4: subnets.map((s, i) => ({
          id: i + 1,
          subnet: s.subnet,
          pools: [{ pool: `${s.first} - ${s.last}` }],
          "option-data": [{ name: "routers", data: s.router }],
        })),
        loggers: [
          { name: "kea-dhcp4", output_options: [{ output: join(dir, "kea.log") }], severity: "WARN" },
        ],
      },
    }),
  );
  const log = join(dir, "kea.out");
  const child = net.spawn("kea-dhcp4", ["-c", config], log, {
    env: { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir },
  });
  await waitForStart("kea-dhcp4", log, () => child.exitCode === null && udpPortBound(net, 67));
  return child;
}

/**
 * Addresses whose last line in kea's lease file is a valid lease (state 0).
 * The memfile appends one line per change; the last line of an address wins.
 */
function boundInKeaCsv(file: string): number {
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, "utf8").split("\n");
  const header = lines[0]?.split(",") ?? [];
  const stateAt = header.indexOf("state");
  const validAt = header.indexOf("valid_lifetime");
  const last = new Map<string, boolean>();
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const f = line.split(",");
    last.set(f[0]!, f[stateAt] === "0" && Number(f[validAt]) > 0);
  }
  return [...last.values()].filter(Boolean).length;
}
