/**
 * Lease throughput on one PostgreSQL (issue 20, docs/ha.md): one
 * `bootfleet serve`, two in HA load-balancing, and kea-dhcp4 with its
 * PostgreSQL lease backend, on the same relayed load, in one run.
 *
 *   npm run build
 *   node --import tsx bench/dhcp-ha/dhcp-ha-bench.ts [--seconds 5] [--rounds 3] [--rates 1000,0]
 *       [--clients 240] [--warmup 2]
 *
 * Topology (nothing leaves the namespaces made here): a bridge on
 * 198.18.171.0/24 with bootfleet a (or kea) on 198.18.171.1 in the
 * bridge's namespace, bootfleet b on 198.18.171.2, and a relay on
 * 198.18.171.3 whose address on its clients' side is 198.18.170.1 (giaddr).
 * perfdhcp runs in the relay with `--clients` MACs and sends to the limited
 * broadcast address, so every server on the wire gets every packet, as from
 * a relay configured with both servers' addresses (a relay's usual HA
 * setup); replies come back to 198.18.170.1:67. The clients' network is
 * 198.18.170.0/24 (pool .10-.250), so `--clients` stays under 241: after
 * the first seconds most exchanges give a client its address again, each
 * still one lease written by every server (an update of the client's row).
 *
 * PostgreSQL is initdb'd here (test/support/postgres-cluster.ts), one fresh
 * database per run. For each configuration, offered rate (0 = perfdhcp as
 * fast as it sends) and round: start fresh, warm up at 500/s for
 * `--warmup` s (not counted), load for `--seconds`, read CPU time, kill -9,
 * count bound leases in the database. Printed: completed exchanges/s, loss,
 * CPU per exchange of the DHCP servers and of PostgreSQL, medians over
 * rounds, and the ratios of each bootfleet setup to kea and of two
 * bootfleet servers to one.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PostgresCluster } from "../../test/support/postgres-cluster.js";
import { missingPeers } from "../../test/support/require-peers.js";
import { TestNetwork } from "../../test/support/test-network.js";
import { type LoadResult, runPerfdhcp } from "../dhcp/offered-load.js";
import { PostgresCpu } from "./postgres-cpu.js";
import {
  boundLeases,
  type DhcpProcess,
  type RelayedNetwork,
  startBootfleetOnPostgres,
  startKeaOnPostgres,
} from "./servers-on-postgres.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    rates: { type: "string", default: "1000,0" },
    clients: { type: "string", default: "240" },
    warmup: { type: "string", default: "2" },
  },
});
const seconds = Math.max(1, Math.min(60, Number(values.seconds)));
const rounds = Math.max(1, Math.min(10, Number(values.rounds)));
const rates = values.rates.split(",").map((r) => Math.max(0, Number(r)));
const clients = Math.max(1, Math.min(240, Number(values.clients)));
const warmup = Math.max(0, Math.min(30, Number(values.warmup)));
const WARMUP_RATE = 500;

const A = "198.18.171.1";
const B = "198.18.171.2";
const RELAY = "198.18.171.3";
const RELAYED: RelayedNetwork = {
  subnet: "198.18.170.0/24",
  first: "198.18.170.10",
  last: "198.18.170.250",
  router: "198.18.170.1",
};
const SETUPS = ["bootfleet x1", "bootfleet x2", "kea"] as const;
type Setup = (typeof SETUPS)[number];

if (!existsSync(join(repoRoot, "dist/src/cli/main.js"))) {
  process.stderr.write("bench: dist/src/cli/main.js is missing: run `npm run build` first\n");
  process.exit(1);
}
const missing = missingPeers(["perfdhcp", "kea-dhcp4", "kea-admin", "psql", "ip"]);
if (missing !== undefined) {
  process.stderr.write(`bench: ${missing}\n`);
  process.exit(1);
}

interface Run {
  readonly load: LoadResult;
  readonly serverCpu: number;
  readonly databaseCpu: number;
  readonly bound: number;
}

const dir = mkdtempSync(join(tmpdir(), "bf-dhcphabench-"));
const net = TestNetwork.create({ tag: "dhcpha", bridgeAddress: `${A}/24` });
let cluster: PostgresCluster | undefined;
try {
  cluster = await PostgresCluster.start("dhcpha");
  const pgCpu = new PostgresCpu(cluster.dir);
  const relayNs = net.addHost("relay", `${RELAY}/24`);
  const nsB = net.addHost("b", `${B}/24`);
  const inNs = (ns: string, ...args: string[]) => spawnChecked("ip", ["netns", "exec", ns, ...args]);
  // The relay's address on its clients' side, as giaddr, on its uplink, and
  // first there: perfdhcp given an interface (-l v1b) sends to the limited
  // broadcast address (it sets SO_BROADCAST only then) and puts the
  // interface's first address in giaddr.
  inNs(relayNs, "ip", "addr", "del", `${RELAY}/24`, "dev", "v1b");
  inNs(relayNs, "ip", "addr", "add", `${RELAYED.router}/24`, "dev", "v1b");
  inNs(relayNs, "ip", "addr", "add", `${RELAY}/24`, "dev", "v1b");
  // Limited broadcasts leave by the default route's interface.
  inNs(relayNs, "ip", "route", "add", "default", "via", A);
  net.run("ip", "route", "add", RELAYED.subnet, "via", RELAY);
  inNs(nsB, "ip", "route", "add", RELAYED.subnet, "via", RELAY);

  const load = (rate: number, period: number): LoadResult =>
    runPerfdhcp({
      ns: relayNs,
      relayAddress: "v1b",
      server: "all",
      clients,
      rate,
      seconds: period,
    });

  const start = async (setup: Setup, runDir: string, url: string): Promise<DhcpProcess[]> => {
    const common = { net, dir: runDir, repoRoot, url, relayed: RELAYED };
    if (setup === "kea") return [await startKeaOnPostgres(net, join(runDir, "kea"), url, RELAYED)];
    if (setup === "bootfleet x1")
      return [await startBootfleetOnPostgres({ ...common, name: "a", address: A })];
    const peers = ["a", "b"];
    return Promise.all([
      startBootfleetOnPostgres({ ...common, name: "a", address: A, peers }),
      startBootfleetOnPostgres({ ...common, name: "b", address: B, ns: nsB, peers }),
    ]);
  };

  const loadavg = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const nproc = spawnSync("nproc", { encoding: "utf8" }).stdout.trim();
  const runs = new Map<string, Run[]>();
  for (const rate of rates) {
    for (let round = 1; round <= rounds; round++) {
      // Rotate the order by round: a machine's load drifts during a run.
      const order = SETUPS.map((_, i) => SETUPS[(i + round - 1) % SETUPS.length]!);
      for (const setup of order) {
        const runDir = join(dir, `${rate}-${round}-${setup.replace(" ", "")}`);
        mkdirSync(runDir);
        const url = await cluster.database();
        const servers = await start(setup, runDir, url);
        await new Promise((r) => setTimeout(r, 500));
        if (warmup > 0) load(WARMUP_RATE, warmup);
        const cpu = () => servers.reduce((sum, s) => sum + s.cpuSeconds(), 0);
        const [server0, db0] = [cpu(), pgCpu.seconds()];
        const result = load(rate, seconds);
        const [serverCpu, databaseCpu] = [cpu() - server0, pgCpu.seconds() - db0];
        await Promise.all(servers.map((s) => s.kill()));
        const bound = await boundLeases(url, setup === "kea");
        rmSync(runDir, { recursive: true, force: true });
        const run = { load: result, serverCpu, databaseCpu, bound };
        const key = `${rate} ${setup}`;
        runs.set(key, [...(runs.get(key) ?? []), run]);
        process.stderr.write(`${rateText(rate)} round ${round} ${setup}: ${runText(run)}\n`);
      }
    }
  }

  const out: string[] = [
    "DHCP leases on one PostgreSQL: bootfleet serve x1, x2 (HA load-balancing) and kea-dhcp4 (postgresql lease backend)",
    `command: node --import tsx bench/dhcp-ha/dhcp-ha-bench.ts ${process.argv.slice(2).join(" ")}`.trimEnd(),
    `perfdhcp as a relay, ${clients} MACs, to 255.255.255.255; ${seconds} s per run after ${warmup} s at ${WARMUP_RATE}/s; ` +
      `median of ${rounds} rounds; ${nproc} CPUs, load average ${loadavg} at start`,
    "",
    "| offered | setup | exchanges/s | lost | server CPU/exchange | PostgreSQL CPU/exchange | vs kea | vs bootfleet x1 |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const rate of rates) {
    const kea = summary(runs.get(`${rate} kea`) ?? []);
    const one = summary(runs.get(`${rate} bootfleet x1`) ?? []);
    for (const setup of SETUPS) {
      const s = summary(runs.get(`${rate} ${setup}`) ?? []);
      out.push(
        `| ${rateText(rate)} | ${setup} | ${s.rate.toFixed(0)} | ${pct(s.lost)} | ${s.serverUs.toFixed(0)} µs ` +
          `| ${s.databaseUs.toFixed(0)} µs | ${(s.rate / kea.rate).toFixed(2)} | ${(s.rate / one.rate).toFixed(2)} |`,
      );
    }
  }
  const kept = [...runs.entries()].map(([k, rs]) => `${k}: ${rs.map((r) => r.bound).join(" ")}`);
  out.push("", `bound leases in the database after kill -9, each run: ${kept.join("; ")}`);
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  net.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}

function spawnChecked(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
}

function rateText(rate: number): string {
  return rate === 0 ? "unpaced" : `${rate}/s`;
}

function perExchangeUs(cpu: number, run: Run): number {
  return run.load.completed === 0 ? 0 : (cpu / run.load.completed) * 1e6;
}

function runText(run: Run): string {
  const { started, completed, seconds: s } = run.load;
  const lost = started === 0 ? 0 : (started - completed) / started;
  return (
    `${(completed / s).toFixed(0)}/s, ${pct(lost)} lost, ${perExchangeUs(run.serverCpu, run).toFixed(0)} µs server ` +
    `+ ${perExchangeUs(run.databaseCpu, run).toFixed(0)} µs PostgreSQL CPU per exchange, ${run.bound} bound`
  );
}

function summary(rs: readonly Run[]): { rate: number; lost: number; serverUs: number; databaseUs: number } {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  return {
    rate: median(rs.map((r) => r.load.completed / r.load.seconds)),
    lost: median(
      rs.map((r) => (r.load.started === 0 ? 0 : (r.load.started - r.load.completed) / r.load.started)),
    ),
    serverUs: median(rs.map((r) => perExchangeUs(r.serverCpu, r))),
    databaseUs: median(rs.map((r) => perExchangeUs(r.databaseCpu, r))),
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
