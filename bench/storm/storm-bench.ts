/**
 * Boot storm: N simulated machines power on within `--spread` seconds and
 * boot from `bootfleet serve` (the built program), then from the classic
 * stack (dnsmasq + nginx + nbd-server) on the same image files, the same
 * power-on times and the same read trace, in one run. `--image` picks what
 * they boot (storm-image.ts) and with it the trace recorded from it.
 *
 *   npm run build
 *   node --import tsx bench/storm/storm-bench.ts [--sizes 50,200,500] [--spread 10]
 *       [--image busybox|debian] [--subnet 198.18.200.0/22]
 *       [--stacks bootfleet,classic] [--trace FILE (default: the image's)]
 *       [--think-scale 1] [--deadline 600] [--json FILE] [--cpu-prof DIR] [--dnsmasq-no-ping] [--classic-tuned]
 *       [--warm] [--server-node-args="ARGS"]
 *
 * Topology (nothing leaves the namespaces; 198.18.200.0/22 or `--subnet`,
 * RFC 2544; storm-network.ts): the server namespace holds br0 =
 * 198.18.200.1/22, where the stack under test listens. One client namespace
 * hangs on br0 by veth (198.18.200.2/22) and runs storm-clients.ts, which
 * plays every machine; it takes the whole pool (198.18.200.16-198.18.203.254)
 * as local addresses (`local` routes), so each
 * machine's sockets bind its own leased address and the servers see
 * N clients. Every run gets fresh namespaces and a fresh server (empty
 * lease store); the order of the stacks alternates by size.
 *
 * --classic-tuned gives the classic stack the two lines an admin of a big
 * lab adds: dnsmasq's no-ping and a TFTP limit above the storm's size
 * (dnsmasq serves 50 transfers at once by default and drops the rest).
 *
 * Measured per run: time to the last machine up, p50/p95/p99 per stage,
 * failures with why, the servers' CPU-seconds per booted machine (/proc,
 * every process and reaped child) and peak RSS (sampled).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { missingPeers } from "../../test/support/require-peers.js";
import { TestNetwork } from "../../test/support/test-network.js";
import { treeCpuSeconds } from "../support/cpu-seconds.js";
import { PeakRss } from "../support/peak-rss.js";
import { startBootfleetStack } from "./bootfleet-stack.js";
import { startClassicStack } from "./classic-stack.js";
import type { BootResult } from "./simulated-machine.js";
import { loadReadTrace } from "./read-trace.js";
import { buildStormImage, type StormImage, stormImageChoice } from "./storm-image.js";
import { DEFAULT_STORM_SUBNET, stormNetwork } from "./storm-network.js";
import type { StormStack } from "./storm-stack.js";
import { ratioTable, runTable, type StormSummary, summarize } from "./storm-summary.js";

/** dnsmasq's `tftp-max` under --classic-tuned: above the largest storm. */
const CLASSIC_TUNED_TFTP_MAX = 1000;

const here = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "50" },
    spread: { type: "string", default: "10" },
    stacks: { type: "string", default: "bootfleet,classic" },
    image: { type: "string", default: "busybox" },
    subnet: { type: "string", default: DEFAULT_STORM_SUBNET },
    trace: { type: "string" },
    "think-scale": { type: "string", default: "1" },
    deadline: { type: "string", default: "600" },
    json: { type: "string" },
    "cpu-prof": { type: "string" },
    "dnsmasq-no-ping": { type: "boolean", default: false },
    "classic-tuned": { type: "boolean", default: false },
    warm: { type: "boolean", default: false },
    "server-node-args": { type: "string", default: "" },
  },
});
/** The pool holds 1,007 addresses (storm-network.ts). */
const sizes = values.sizes.split(",").map((n) => Math.max(1, Math.min(1000, Number(n))));
const stacks = values.stacks.split(",").filter((s) => s === "bootfleet" || s === "classic");

const imageChoice = stormImageChoice(values.image);
const traceFile = values.trace ?? imageChoice.trace;
const NETS = stormNetwork(values.subnet);

if (!existsSync(join(repoRoot, "dist/src/cli/main.js"))) {
  process.stderr.write("bench: dist/src/cli/main.js is missing: run `npm run build` first\n");
  process.exit(1);
}
const missing = missingPeers(["ip", "dnsmasq", "nginx", "nbd-server", "mksquashfs"]);
if (missing !== undefined) {
  process.stderr.write(`bench: ${missing}\n`);
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), "bf-storm-"));
const summaries: StormSummary[] = [];
const runs: { summary: StormSummary; results: readonly BootResult[] }[] = [];
try {
  const image = await buildStormImage(work, imageChoice.kind);
  checkTraceFitsExport(traceFile, join(image.dir, "root.squashfs"));
  for (const [i, n] of sizes.entries()) {
    for (const stack of i % 2 === 0 ? stacks : [...stacks].reverse()) {
      const runDir = join(work, `${stack}-${n}`);
      mkdirSync(runDir);
      process.stderr.write(`storm: ${stack}, ${n} machines...\n`);
      const run = await stormRun(stack, n, runDir, image);
      const summary = summarize(run);
      summaries.push(summary);
      runs.push({ summary, results: run.results });
      process.stderr.write(`${runTable(summary).join("\n")}\n\n`);
    }
  }
  const loadavg = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const nproc = spawnSync("nproc", { encoding: "utf8" }).stdout.trim();
  const out = [
    `Boot storm: bootfleet serve (built) vs dnsmasq + nginx + nbd-server; machines power on within ${values.spread} s`,
    `command: node --import tsx bench/storm/storm-bench.ts ${process.argv.slice(2).join(" ")}`.trimEnd(),
    `image: ${image.description}`,
    `trace: ${traceFile} (think scale ${values["think-scale"]}); ${nproc} CPUs, load average ${loadavg} at the end`,
    "",
    ...ratioTable(summaries),
  ];
  for (const s of summaries) out.push("", ...runTable(s));
  process.stdout.write(`${out.join("\n")}\n`);
  if (values.json)
    writeFileSync(values.json, `${JSON.stringify({ command: process.argv.slice(2), runs }, null, 1)}\n`);
} finally {
  if (!process.env.BOOTFLEET_KEEP_STORM) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`storm: kept ${work}\n`);
}

async function stormRun(stackName: string, n: number, runDir: string, image: StormImage) {
  const net = TestNetwork.create({ tag: "storm", bridgeAddress: `${NETS.server}/22` });
  let stack: StormStack | undefined;
  try {
    const clientNs = net.addHost("cl", NETS.client);
    const inClient = (...args: string[]) => {
      const r = spawnSync("ip", ["netns", "exec", clientNs, ...args], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
    };
    // Linux sends to 255.255.255.255 only where a route leads.
    inClient("ip", "route", "add", "default", "dev", "v1b");
    for (const r of NETS.poolRoutes) inClient("ip", "route", "add", "local", r, "dev", "lo");
    // Machines still in their firmware answer no ping; with the pool local,
    // this namespace would answer for every address, and dnsmasq (which
    // pings an address before offering it) would find the whole pool taken.
    inClient("sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1");
    // A fresh store (leases, and the event file beside it): a storm of
    // machines the server has never seen.
    for (const db of ["bootfleet.sqlite", "bootfleet-events.sqlite"])
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(join(image.dataDir, f), { force: true });
    const profArgs = values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : [];
    const nodeArgs = [...profArgs, ...values["server-node-args"].split(" ").filter((a) => a !== "")];
    stack =
      stackName === "bootfleet"
        ? await startBootfleetStack(net, runDir, repoRoot, image, NETS, nodeArgs)
        : await startClassicStack(net, runDir, image, NETS, {
            noPing: values["dnsmasq-no-ping"] || values["classic-tuned"],
            tftpMax: values["classic-tuned"] ? CLASSIC_TUNED_TFTP_MAX : undefined,
          });
    if (values.warm) {
      // The morning after: the same machines booted from this server once
      // already (leases kept, files and code warm), as a server that runs
      // for days sees them; only the second storm is measured.
      await runClients(clientNs, n);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const cpu0 = stack.pids.reduce((t, pid) => t + treeCpuSeconds(pid), 0);
    const rss = new PeakRss(stack.pids);
    const started = performance.now();
    const { results, clientCpuSeconds, clientLoopDelayMs } = await runClients(clientNs, n);
    const clientSeconds = (performance.now() - started) / 1000;
    // Let per-client server processes see the disconnects and be reaped.
    await new Promise((r) => setTimeout(r, 1000));
    const cpuSeconds = stack.pids.reduce((t, pid) => t + treeCpuSeconds(pid), 0) - cpu0;
    const peakRssBytes = rss.stop();
    return {
      stack: stackName,
      machines: n,
      results,
      cpuSeconds,
      peakRssBytes,
      clientCpuSeconds,
      clientLoopDelayMs,
      clientSeconds,
    };
  } finally {
    await stack?.stop();
    net.close();
  }
}

interface ClientsOutput {
  readonly results: BootResult[];
  readonly clientCpuSeconds: number;
  readonly clientLoopDelayMs: { readonly p99: number; readonly max: number };
}

function runClients(ns: string, n: number): Promise<ClientsOutput> {
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      ns,
      process.execPath,
      "--import",
      "tsx",
      join(here, "storm-clients.ts"),
      "--count",
      String(n),
      "--spread",
      values.spread,
      "--trace",
      traceFile,
      "--think-scale",
      values["think-scale"],
      "--deadline",
      values.deadline,
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
    process.stderr.write(c); // the simulator's own warnings
  });
  return new Promise((resolve, reject) => {
    // "close", not "exit": a child's last stdout chunks may still be on their
    // way when it has exited (1,000 machines' results are some 300 KB).
    child.on("close", (code) => {
      try {
        if (code !== 0) throw new Error(`storm-clients exited ${code}: ${err.slice(-2000)}`);
        resolve(JSON.parse(out) as ClientsOutput);
      } catch (e) {
        reject(e);
      }
    });
  });
}

/**
 * The reads must land in the export both stacks serve: a trace recorded
 * from another image would read past its end, or read the wrong files. A
 * rebuilt image of the same packages differs in size by its timestamps, so
 * a size change is noted, not refused.
 */
function checkTraceFitsExport(trace: string, exportFile: string): void {
  const t = loadReadTrace(trace);
  const size = statSync(exportFile).size;
  const end = t.reads.reduce((m, r) => Math.max(m, r.offset + r.length), 0);
  if (end > size)
    throw new Error(
      `${trace} reads up to byte ${end}, past the served export's ${size}: it was recorded from another image (${t.source}); pick it with --image`,
    );
  if (t.exportBytes !== size)
    process.stderr.write(
      `storm: ${trace} was recorded against a ${t.exportBytes}-byte export, the served one has ${size} bytes\n`,
    );
}
