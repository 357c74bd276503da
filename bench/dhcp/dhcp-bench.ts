/**
 * DHCP benchmark: `bootfleet serve` (the built program, SQLite store, full
 * mode, every lease written before its ACK) against kea-dhcp4 (memfile) in
 * one run, on the same load, in network namespaces made here.
 *
 *   npm run build
 *   node --import tsx bench/dhcp/dhcp-bench.ts [--seconds 5] [--rounds 3] [--rates 2000,5000,0]
 *       [--scenarios broadcast,relayed] [--broadcast-clients 200] [--relayed-clients 60000] [--window 64]
 *       [--warmup 2] [--server-node-args="--perf-basic-prof"] [--lease-cache-threshold 25] [--keep DIR]
 *
 * Topology (nothing leaves the namespaces): the server's namespace holds
 * br0 = 198.18.90.1/24 (a /24 no test uses). Two hosts hang on br0 by veth:
 * - 198.18.90.2, the broadcast clients: broadcast-clients.c sends as
 *   `--broadcast-clients` machines of that segment (offered-load.ts);
 * - 198.18.90.3, a relay whose address on its clients' side is
 *   198.19.0.1/16; perfdhcp runs there with that address as giaddr and
 *   `--relayed-clients` MACs. The relayed network is a /16 (198.19.0.0/16,
 *   inside RFC 2544's 198.18.0.0/15) so that 60,000 clients fit in its pool.
 * Both servers serve both networks (servers-under-test.ts).
 *
 * For each scenario, offered rate (0 = unpaced: broadcast clients keep
 * `--window` exchanges in flight; perfdhcp sends as fast as it can) and
 * round, each server is started fresh (empty lease store), warmed up with
 * the same load at 1000/s for `--warmup` seconds (not counted: a server runs
 * for days, and Node compiles its hot code in the first seconds), loaded for
 * `--seconds`, then killed with SIGKILL and its lease file read back. The
 * order of the two alternates by round. Printed: completed exchanges/s,
 * the share of exchanges lost, the server's CPU time per completed
 * exchange (from /proc/PID/stat, every thread), medians over rounds, and
 * bootfleet/kea for exchanges/s.
 *
 * Both servers reuse a lease its client asks for again within
 * `--lease-cache-threshold` percent of its lease time (bootfleet's default
 * lease_cache_threshold, 25; kea's cache-threshold, set to match): the
 * broadcast clients take turns, so most of their exchanges are such
 * repeats, while perfdhcp's relayed clients are each new. 0 turns it off
 * on both, and every REQUEST is a lease written.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { missingPeers } from "../../test/support/require-peers.js";
import { TestNetwork } from "../../test/support/test-network.js";
import { buildBroadcastClients, type LoadResult, runBroadcastClients, runPerfdhcp } from "./offered-load.js";
import { type BenchNetworks, type ServerUnderTest, startBootfleet, startKea } from "./servers-under-test.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    rates: { type: "string", default: "2000,5000,0" },
    scenarios: { type: "string", default: "broadcast,relayed" },
    "broadcast-clients": { type: "string", default: "200" },
    "relayed-clients": { type: "string", default: "60000" },
    window: { type: "string", default: "64" },
    warmup: { type: "string", default: "2" },
    "server-node-args": { type: "string", default: "" },
    "lease-cache-threshold": { type: "string", default: "25" },
    keep: { type: "string", default: "" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  // The usage is this file's opening comment.
  const source = readFileSync(fileURLToPath(import.meta.url), "utf8");
  const usage = source.slice(source.indexOf("/**") + 3, source.indexOf("*/")).replace(/^ \* ?/gm, "");
  process.stdout.write(`${usage.trim()}\n`);
  process.exit(0);
}
const seconds = Math.max(1, Math.min(60, Number(values.seconds)));
const rounds = Math.max(1, Math.min(10, Number(values.rounds)));
/** Node options for `bootfleet serve`, e.g. "--perf-basic-prof" for `perf record -p` (it is stopped with SIGKILL, so --cpu-prof writes nothing). */
const serverNodeArgs = values["server-node-args"].split(" ").filter((a) => a !== "");
const rates = values.rates.split(",").map((r) => Math.max(0, Number(r)));
const scenarios = values.scenarios.split(",").filter((s) => s === "broadcast" || s === "relayed");
// The local pool holds 241 addresses; the relayed one 65,521.
const broadcastClients = Math.max(1, Math.min(240, Number(values["broadcast-clients"])));
const relayedClients = Math.max(1, Math.min(65_000, Number(values["relayed-clients"])));
const window = Math.max(1, Math.min(4096, Number(values.window)));
const warmup = Math.max(0, Math.min(30, Number(values.warmup)));
const leaseCachePercent = Math.max(0, Math.min(100, Math.trunc(Number(values["lease-cache-threshold"]))));
/** Where each run's folder (the server's config, log and lease store) is kept; by default it is deleted. */
const keepDir = values.keep === "" ? null : resolve(values.keep);
/** Exchanges per second of the warm-up load. */
const WARMUP_RATE = 1000;

const NETS: BenchNetworks = {
  serverAddress: "198.18.90.1",
  local: { subnet: "198.18.90.0/24", first: "198.18.90.10", last: "198.18.90.250" },
  relayed: { subnet: "198.19.0.0/16", first: "198.19.0.10", last: "198.19.255.250", router: "198.19.0.1" },
};

if (!existsSync(join(repoRoot, "dist/src/cli/main.js"))) {
  process.stderr.write("bench: dist/src/cli/main.js is missing: run `npm run build` first\n");
  process.exit(1);
}
const missing = missingPeers(["perfdhcp", "kea-dhcp4", "ip"]);
if (missing !== undefined) {
  process.stderr.write(`bench: ${missing}\n`);
  process.exit(1);
}

interface Run {
  readonly load: LoadResult;
  readonly cpuSeconds: number;
  readonly leasesKept: number;
  /** Datagrams the kernel dropped at a full receive buffer during the run: the server's sockets, perfdhcp's. */
  readonly drops: { readonly server: number; readonly clients: number };
}

const dir = mkdtempSync(join(tmpdir(), "bf-dhcpbench-"));
const net = TestNetwork.create({ tag: "dhcpbench", bridgeAddress: `${NETS.serverAddress}/24` });
try {
  const broadcastProgram = buildBroadcastClients(here, dir);
  const broadcastNs = net.addHost("bcast", "198.18.90.2/24");
  const relayNs = net.addHost("relay", "198.18.90.3/24");
  const inRelay = (...args: string[]) => spawnChecked("ip", ["netns", "exec", relayNs, ...args]);
  // The relay's address on its clients' side, as giaddr. It sits on the
  // uplink: perfdhcp sends out of the interface holding the address it is given.
  inRelay("ip", "addr", "add", `${NETS.relayed.router}/16`, "dev", "v2b");
  inRelay("ip", "route", "add", "default", "via", NETS.serverAddress);
  net.run("ip", "route", "add", NETS.relayed.subnet, "via", "198.18.90.3");

  const load = (scenario: string, rate: number, period = seconds): LoadResult =>
    scenario === "broadcast"
      ? runBroadcastClients({
          program: broadcastProgram,
          ns: broadcastNs,
          iface: "v1b",
          clients: broadcastClients,
          rate,
          window,
          seconds: period,
        })
      : runPerfdhcp({
          ns: relayNs,
          relayAddress: NETS.relayed.router,
          server: NETS.serverAddress,
          clients: relayedClients,
          rate,
          seconds: period,
        });

  const start = (name: string, runDir: string): Promise<ServerUnderTest> =>
    name === "bootfleet"
      ? startBootfleet(net, runDir, repoRoot, NETS, serverNodeArgs, leaseCachePercent)
      : startKea(net, runDir, NETS, leaseCachePercent);

  const loadavg = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const nproc = spawnSync("nproc", { encoding: "utf8" }).stdout.trim();
  const out: string[] = [
    `DHCP: bootfleet serve (built, SQLite, lease written before ACK) vs kea-dhcp4 (memfile, persist)`,
    leaseCachePercent > 0
      ? `a lease asked for again within ${leaseCachePercent}% of its time is reused, not written, by both (bootfleet lease_cache_threshold, kea cache-threshold)`
      : "every REQUEST writes its lease on both (lease caching off)",
    `command: node --import tsx bench/dhcp/dhcp-bench.ts ${process.argv.slice(2).join(" ")}`.trimEnd(),
    `${seconds} s per run after ${warmup} s of warm-up at ${WARMUP_RATE}/s, median of ${rounds} rounds; ${nproc} CPUs, load average ${loadavg} at start`,
  ];

  for (const scenario of scenarios) {
    const runs = new Map<string, Run[]>();
    for (const rate of rates) {
      for (let round = 1; round <= rounds; round++) {
        const order = round % 2 === 1 ? ["bootfleet", "kea"] : ["kea", "bootfleet"];
        for (const name of order) {
          const runDir = join(dir, `${scenario}-${rate}-${round}-${name}`);
          mkdirSync(runDir);
          const server = await start(name, runDir);
          await new Promise((r) => setTimeout(r, 500));
          if (warmup > 0) load(scenario, WARMUP_RATE, warmup);
          const cpu0 = server.cpuSeconds();
          const drops0 = { server: udpDrops(net.ns), clients: udpDrops(relayNs) };
          const result = load(scenario, rate);
          const cpuSeconds = server.cpuSeconds() - cpu0;
          const drops = {
            server: udpDrops(net.ns) - drops0.server,
            clients: udpDrops(relayNs) - drops0.clients,
          };
          const leasesKept = await server.killAndCountLeases();
          if (keepDir) cpSync(runDir, join(keepDir, basename(runDir)), { recursive: true });
          rmSync(runDir, { recursive: true, force: true });
          const run = { load: result, cpuSeconds, leasesKept, drops };
          const key = `${rate} ${name}`;
          runs.set(key, [...(runs.get(key) ?? []), run]);
          process.stderr.write(`${scenario} ${rateText(rate)} round ${round} ${name}: ${runText(run)}\n`);
        }
      }
    }
    out.push("", scenarioTitle(scenario), "");
    out.push(
      "| offered | bootfleet | lost | CPU/exchange | kea | lost | CPU/exchange | bootfleet/kea |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const rate of rates) {
      const ours = summary(runs.get(`${rate} bootfleet`) ?? []);
      const theirs = summary(runs.get(`${rate} kea`) ?? []);
      out.push(
        `| ${rateText(rate)} | ${ours.rate.toFixed(0)}/s | ${pct(ours.lost)} | ${ours.cpuUs.toFixed(0)} µs ` +
          `| ${theirs.rate.toFixed(0)}/s | ${pct(theirs.lost)} | ${theirs.cpuUs.toFixed(0)} µs ` +
          `| ${(ours.rate / theirs.rate).toFixed(2)} |`,
      );
    }
    const kept = [...runs.entries()]
      .filter(([k]) => k.endsWith(" bootfleet"))
      .flatMap(([, rs]) => rs)
      .map((r) => `${r.leasesKept}/${r.load.clientsAcked ?? "?"}`);
    out.push(
      "",
      scenario === "broadcast"
        ? `bootfleet's store after kill -9, bound leases / clients ACKed, each run: ${kept.join(" ")}`
        : `bootfleet's store after kill -9, bound leases, each run: ${kept.map((k) => k.split("/")[0]).join(" ")}`,
    );
    const dropsOf = (name: string) =>
      [...runs.entries()]
        .filter(([k]) => k.endsWith(` ${name}`))
        .flatMap(([, rs]) => rs)
        .map((r) => (scenario === "broadcast" ? `${r.drops.server}` : `${r.drops.server}/${r.drops.clients}`))
        .join(" ");
    out.push(
      `datagrams the kernel dropped at a full receive buffer, each run (${scenario === "broadcast" ? "server" : "server/perfdhcp"}): bootfleet ${dropsOf("bootfleet")}; kea ${dropsOf("kea")}`,
    );
  }
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  net.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * UDP datagrams the kernel dropped in namespace `ns` for want of room in a
 * receive buffer (/proc/net/snmp, Udp RcvbufErrors): where a lost exchange
 * was lost. The broadcast clients read through AF_PACKET sockets, which
 * this does not count.
 */
function udpDrops(ns: string): number {
  const snmp =
    spawnSync("ip", ["netns", "exec", ns, "cat", "/proc/net/snmp"], { encoding: "utf8" }).stdout ?? "";
  const [names, values] = snmp.split("\n").filter((l) => l.startsWith("Udp:"));
  const i = names?.split(/\s+/).indexOf("RcvbufErrors") ?? -1;
  return i < 0 ? 0 : Number(values?.split(/\s+/)[i] ?? 0);
}

function spawnChecked(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
}

function scenarioTitle(scenario: string): string {
  return scenario === "broadcast"
    ? `Local broadcast clients: ${broadcastClients} machines on the server's segment (broadcast-clients.c; unpaced = ${window} exchanges in flight)`
    : `Relayed clients: perfdhcp as a relay (giaddr), ${relayedClients} distinct MACs (unpaced = perfdhcp as fast as it sends)`;
}

function rateText(rate: number): string {
  return rate === 0 ? "unpaced" : `${rate}/s`;
}

function runText(run: Run): string {
  const { started, completed, seconds: s } = run.load;
  const lost = started === 0 ? 0 : (started - completed) / started;
  const us = completed === 0 ? 0 : (run.cpuSeconds / completed) * 1e6;
  return (
    `${(completed / s).toFixed(0)}/s, ${pct(lost)} lost, ${us.toFixed(0)} µs CPU per exchange, ` +
    `worst reply ${run.load.worstReplyMs.toFixed(0)} ms, ${run.leasesKept} leases kept, ` +
    `receive-buffer drops: server ${run.drops.server}, perfdhcp ${run.drops.clients}`
  );
}

function summary(rs: readonly Run[]): { rate: number; lost: number; cpuUs: number } {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  return {
    rate: median(rs.map((r) => r.load.completed / r.load.seconds)),
    lost: median(
      rs.map((r) => (r.load.started === 0 ? 0 : (r.load.started - r.load.completed) / r.load.started)),
    ),
    cpuUs: median(rs.map((r) => (r.load.completed === 0 ? 0 : (r.cpuSeconds / r.load.completed) * 1e6))),
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
