/**
 * bootfleet's TFTP service vs tftpd-hpa (in.tftpd) and dnsmasq's TFTP, on the
 * same files, over loopback, in one run. Prints MB/s for each and the ratios.
 *
 *   node --import tsx bench/tftp/tftp-bench.ts [--rounds 3] [--clients 50] [--size-mib 64] [--workers 2]
 *     [--only TEXT] [--io VARIANTS] [--busy-poll-us 200] [--pin S:C]
 *
 * Scenarios (real clients only):
 *  - one client, lock-step, blksize 1468: curl --tftp-blksize 1468, atftp
 *    blksize 1468 without and with windowsize 1 (only bootfleet puts
 *    windowsize in its OACK, so atftp's windowed code path runs against it
 *    alone; the row without the option compares the same client path), and
 *    tftp-hpa's plain 512-byte RFC 1350;
 *  - one client, atftp blksize 1468 windowsize 16 (RFC 7440). tftpd-hpa and
 *    dnsmasq 2.90 do not implement windowsize: they leave it out of the
 *    OACK and the same client runs lock-step against them, which is the
 *    comparison the goal asks for (windowsize vs their best);
 *  - one client, bench/tftp/window-client.c (built here with cc) at
 *    windowsize 16 and 64: atftp pays a pselect, a recvmsg and a write per
 *    block and tops out near 60-100 MB/s on loopback, so this client reads
 *    64 blocks per recvmmsg and spins briefly before sleeping; it measures
 *    the servers' windowed throughput rather than atftp's;
 *  - N clients at once (curl, blksize 1468; atftp windowsize 16), each
 *    fetching an 8 MiB file: total bytes over wall time.
 * Goals: bootfleet >= tftpd-hpa lock-step; >= 3x tftpd-hpa with windowsize.
 *
 * bootfleet's workers do their I/O as `bootfleet serve` does: on their own
 * epoll loop through native/bootfleet_udp, polling up to --busy-poll-us
 * (default 200, serve's default) before they sleep while transfers run
 * (`native`, the default; build it with `npm run build:native`). `--io`
 * takes a comma-separated list of variants, each its own server and
 * column: `native`, `native-sleep` (the same with busy polling off), `node`
 * (libuv and node:dgram); `both` is `native,node`. The first is the
 * "bootfleet" column the ratios use; the others are "bootfleet-<variant>".
 *
 * A second table gives each server's CPU time per MB moved: every server
 * runs in a cgroup of its own (v2 cpu.stat, or v1 cpuacct), which also
 * counts in.tftpd's per-transfer children (their times never reach the
 * parent's /proc counters). Busy polling trades CPU for lock-step speed, and
 * this shows how much.
 *
 * --pin S:C runs every server on CPU S and every client on CPU C (taskset).
 * A lock-step transfer's rate depends mostly on where the scheduler puts the
 * two ends: on one CPU each block is a cheap switch, across CPUs each block
 * waits for an idle CPU to wake, and unpinned each round draws one or the
 * other (1 client rows swing 12-58 MB/s between rounds on this VM). `0:0`
 * measures what each server spends per block; `1:0` what a client on
 * another machine sees (the server wakes for every ACK).
 *
 * Every server is its own process, started here and stopped by PID:
 * bootfleet (bench/tftp/bootfleet-server.ts) and `in.tftpd -L -s DIR -a
 * 127.0.0.1:PORT` on free high ports; dnsmasq (`-k --port=0 --enable-tftp`)
 * has no option for its TFTP port, so it listens on 127.0.0.1:69 and is
 * left out (with a note) when that port is taken. Each round runs the
 * servers one after the other in rotating order; the machine is shared, so
 * the best and the median of the rounds are printed and ratios use the best.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_BUSY_POLL_US } from "../../src/config/config-schema.js";
import { missingPeers } from "../../test/support/require-peers.js";

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const ROUNDS = Number(opt("--rounds", "3"));
const CLIENTS = Number(opt("--clients", "50"));
/** bootfleet's transfer worker threads: 2, one per core, as in.tftpd forks a process per transfer. */
const WORKERS = Number(opt("--workers", "2"));
const SIZE = Number(opt("--size-mib", "64")) << 20;
const SMALL = 8 << 20;
/** --only TEXT: run just the scenarios whose name contains TEXT. */
const ONLY = opt("--only", "");
/** --io: bootfleet's transfer I/O variants (see the file comment). */
type Variant = "native" | "native-sleep" | "node";
const VARIANTS = opt("--io", "native")
  .replace(/^both$/, "native,node")
  .split(",") as Variant[];
if (VARIANTS.some((v) => !["native", "native-sleep", "node"].includes(v))) {
  process.stderr.write(
    `bench: --io takes native, native-sleep, node (comma-separated) or both, not ${VARIANTS}\n`,
  );
  process.exit(2);
}
/** --busy-poll-us: services.tftp.busy_poll_us for the native variant. */
const BUSY_POLL_US = Number(opt("--busy-poll-us", String(DEFAULT_BUSY_POLL_US)));
const HOST = "127.0.0.1";
const PIN = opt("--pin", "");
if (PIN !== "" && !/^\d+:\d+$/.test(PIN)) {
  process.stderr.write(`bench: --pin wants SERVER_CPU:CLIENT_CPU, like 1:0, not ${PIN}\n`);
  process.exit(2);
}
const [SERVER_CPU, CLIENT_CPU] = PIN === "" ? [null, null] : PIN.split(":");

/** `cmd argv` under taskset when --pin is set. */
function pinned(cpu: string | null | undefined, cmd: string, argv: readonly string[]): [string, string[]] {
  return cpu == null ? [cmd, [...argv]] : ["taskset", ["-c", cpu, cmd, ...argv]];
}

const missing = missingPeers(["curl", "atftp", "tftp", "in.tftpd", "dnsmasq"]);
if (missing !== undefined) {
  process.stderr.write(`bench: ${missing}\n`);
  process.exit(1);
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, HOST, () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function udpPortFree(port: number): Promise<boolean> {
  const s = createSocket("udp4");
  return new Promise((resolve) => {
    s.once("error", () => resolve(false));
    s.bind(port, HOST, () => s.close(() => resolve(true)));
  });
}

function run(cmd: string, argv: readonly string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(...pinned(CLIENT_CPU, cmd, argv), { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, err });
    });
  });
}

interface Server {
  readonly name: string;
  readonly port: number;
  readonly proc: ChildProcess;
  /** Its CPU meter, or null when no cgroup could be made. */
  readonly cpu: CpuGroup | null;
}

/** True once some socket is bound to UDP `port` (read from /proc: a test bind could take the port first). */
function udpPortBound(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) if (line.trim().split(/\s+/)[1]?.endsWith(hex)) return true;
  }
  return false;
}

/**
 * A just-spawned server, in a cgroup of its own before it serves anything,
 * once it listens; stopped (and its cgroup removed) if it never does.
 */
async function listening(name: string, port: number, proc: ChildProcess): Promise<Server> {
  const cpu = CpuGroup.make(name);
  try {
    cpu?.add(proc.pid!);
    for (let i = 0; ; i++) {
      if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}`);
      if (udpPortBound(port)) return { name, port, proc, cpu };
      if (i === 100) throw new Error(`${name} did not listen on ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stop(proc);
    cpu?.remove();
    throw e;
  }
}

async function startBootfleet(root: string, variant: Variant, name: string): Promise<Server> {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const port = await freeUdpPort();
  const proc = spawn(
    ...pinned(SERVER_CPU, process.execPath, [
      "--import",
      "tsx",
      join(here, "bootfleet-server.ts"),
      root,
      String(port),
      String(WORKERS),
      variant === "node" ? "node" : "native",
      String(variant === "native" ? BUSY_POLL_US : 0),
    ]),
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  return listening(name, port, proc);
}

async function startTftpdHpa(root: string): Promise<Server> {
  const port = await freeUdpPort();
  // -L: foreground, -s: chroot to the root (as root), -a: address:port.
  const proc = spawn(...pinned(SERVER_CPU, "in.tftpd", ["-L", "-s", root, "-a", `${HOST}:${port}`]), {
    stdio: "ignore",
  });
  return listening("tftpd-hpa", port, proc);
}

async function startDnsmasq(root: string, dir: string): Promise<Server | string> {
  if (!(await udpPortFree(69))) return "dnsmasq left out: 127.0.0.1:69 is in use";
  const proc = spawn(
    ...pinned(SERVER_CPU, "dnsmasq", [
      "-k",
      "-C",
      "/dev/null",
      "--port=0",
      "--enable-tftp",
      `--tftp-root=${root}`,
      `--listen-address=${HOST}`,
      "--bind-interfaces",
      "--user=root",
      `--pid-file=${join(dir, "dnsmasq.pid")}`,
      `--tftp-max=${Math.max(512, CLIENTS * 2)}`,
      "--quiet-tftp",
      `--log-facility=${join(dir, "dnsmasq.log")}`,
    ]),
    { stdio: "ignore" },
  );
  return listening("dnsmasq", 69, proc);
}

/** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill("SIGKILL"), 5000);
    proc.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill("SIGTERM");
  });
}

interface Scenario {
  readonly name: string;
  /** Bytes moved by one run. */
  readonly bytes: number;
  readonly run: (s: Server) => Promise<void>;
}

async function must(p: Promise<{ code: number | null; err: string }>, what: string): Promise<void> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code} ${r.err.trim().slice(0, 200)}`);
}

const curl = (s: Server, file: string, blksize: number) =>
  must(
    run("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "--tftp-blksize",
      String(blksize),
      `tftp://${HOST}:${s.port}/${file}`,
    ]),
    `curl vs ${s.name}`,
  );
/** atftp; `windowsize` undefined: the option is not sent (plain lock-step, atftp's RFC 1350 path). */
const atftp = (s: Server, file: string, blksize: number, windowsize: number | undefined) =>
  must(
    run("atftp", [
      "-g",
      "-r",
      file,
      "-l",
      "/dev/null",
      "--option",
      `blksize ${blksize}`,
      ...(windowsize === undefined ? [] : ["--option", `windowsize ${windowsize}`]),
      HOST,
      String(s.port),
    ]),
    `atftp vs ${s.name}`,
  );

let windowClient: string | null = null;
const windowed = (s: Server, windowsize: number) =>
  must(
    run(windowClient!, [HOST, String(s.port), "big.img", "1468", String(windowsize), "-"]),
    `window-client vs ${s.name}`,
  );

const scenarios: Scenario[] = [
  { name: "1 client, curl blksize 1468 (lock-step)", bytes: SIZE, run: (s) => curl(s, "big.img", 1468) },
  {
    name: "1 client, atftp blksize 1468 (no windowsize option)",
    bytes: SIZE,
    run: (s) => atftp(s, "big.img", 1468, undefined),
  },
  {
    name: "1 client, atftp blksize 1468 windowsize 1",
    bytes: SIZE,
    run: (s) => atftp(s, "big.img", 1468, 1),
  },
  {
    name: "1 client, atftp blksize 1468 windowsize 16",
    bytes: SIZE,
    run: (s) => atftp(s, "big.img", 1468, 16),
  },
  {
    name: "1 client, bench window-client blksize 1468 windowsize 16",
    bytes: SIZE,
    run: (s) => windowed(s, 16),
  },
  {
    name: "1 client, bench window-client blksize 1468 windowsize 64",
    bytes: SIZE,
    run: (s) => windowed(s, 64),
  },
  {
    name: "1 client, tftp-hpa 512 (no options)",
    bytes: SIZE,
    run: (s) =>
      must(run("tftp", ["-m", "octet", HOST, String(s.port), "-c", "get", "big.img", "/dev/null"]), "tftp"),
  },
  {
    name: `${CLIENTS} clients, curl blksize 1468, 8 MiB each`,
    bytes: SMALL * CLIENTS,
    run: async (s) => {
      await Promise.all(Array.from({ length: CLIENTS }, () => curl(s, "small.img", 1468)));
    },
  },
  {
    name: `${CLIENTS} clients, atftp blksize 1468 windowsize 16, 8 MiB each`,
    bytes: SMALL * CLIENTS,
    run: async (s) => {
      await Promise.all(Array.from({ length: CLIENTS }, () => atftp(s, "small.img", 1468, 16)));
    },
  },
];

function pseudoRandom(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = 0x2545f491;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeInt32LE(x, i);
  }
  return b;
}

/**
 * CPU time of one server and everything it forks: a cgroup of its own
 * (cgroup v2's cpu.stat, as a unified or hybrid mount has it, or v1's
 * cpuacct), removed again at the end. Null when no cgroup can be made.
 */
class CpuGroup {
  readonly #dir: string;
  readonly #v2: boolean;

  private constructor(dir: string, v2: boolean) {
    this.#dir = dir;
    this.#v2 = v2;
  }

  static make(name: string): CpuGroup | null {
    const leaf = `bf-tftp-bench-${process.pid}-${name}`;
    for (const [base, v2] of [
      ["/sys/fs/cgroup/unified", true],
      ["/sys/fs/cgroup", true],
      ["/sys/fs/cgroup/cpuacct", false],
    ] as const) {
      if (!existsSync(join(base, "cgroup.procs"))) continue;
      try {
        mkdirSync(join(base, leaf));
        return new CpuGroup(join(base, leaf), v2);
      } catch {
        /* not writable here: try the next */
      }
    }
    return null;
  }

  add(pid: number): void {
    writeFileSync(join(this.#dir, "cgroup.procs"), String(pid));
  }

  seconds(): number {
    if (!this.#v2) return Number(readFileSync(join(this.#dir, "cpuacct.usage"), "utf8")) / 1e9;
    const line = readFileSync(join(this.#dir, "cpu.stat"), "utf8").match(/^usage_usec (\d+)/m);
    return line === null ? 0 : Number(line[1]) / 1e6;
  }

  /** Once its processes have exited. */
  remove(): void {
    try {
      rmdirSync(this.#dir);
    } catch (e) {
      process.stderr.write(`bench: could not remove ${this.#dir}: ${(e as Error).message}\n`);
    }
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bf-tftp-bench-"));
  // in.tftpd and dnsmasq may drop to another user: the files must be readable by all.
  chmodSync(dir, 0o755);
  const root = join(dir, "root");
  spawnSync("mkdir", ["-m", "755", root]);
  writeFileSync(join(root, "big.img"), pseudoRandom(SIZE), { mode: 0o644 });
  writeFileSync(join(root, "small.img"), pseudoRandom(SMALL), { mode: 0o644 });

  const servers: Server[] = [];
  const notes: string[] = [];
  const here = fileURLToPath(new URL(".", import.meta.url));
  const cc = spawnSync("cc", ["-O2", "-o", join(dir, "window-client"), join(here, "window-client.c")], {
    encoding: "utf8",
  });
  if (cc.status === 0) windowClient = join(dir, "window-client");
  else
    notes.push(`window-client rows left out: cc failed (${(cc.stderr ?? cc.error?.message ?? "").trim()})`);
  const active = scenarios.filter(
    (sc) => (windowClient !== null || !sc.name.includes("window-client")) && sc.name.includes(ONLY),
  );
  try {
    for (const [i, v] of VARIANTS.entries())
      servers.push(await startBootfleet(root, v, i === 0 ? "bootfleet" : `bootfleet-${v}`));
    servers.push(await startTftpdHpa(root));
    const dq = await startDnsmasq(root, dir);
    if (typeof dq === "string") notes.push(dq);
    else servers.push(dq);

    const results = new Map<string, Map<string, number[]>>();
    for (const sc of active) results.set(sc.name, new Map(servers.map((s) => [s.name, []])));
    /** Per scenario and server: CPU seconds and MB, summed over the rounds. */
    const cpu = new Map<string, Map<string, { seconds: number; mb: number }>>();
    for (const sc of active) cpu.set(sc.name, new Map(servers.map((s) => [s.name, { seconds: 0, mb: 0 }])));
    // Warm the page cache and every server's own cache once.
    for (const s of servers) {
      await curl(s, "big.img", 1468);
      await curl(s, "small.img", 1468);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const sc of active) {
        const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
        for (const s of order) {
          const cpu0 = s.cpu?.seconds() ?? 0;
          const t0 = process.hrtime.bigint();
          await sc.run(s);
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          const mbs = sc.bytes / 1e6 / seconds;
          results.get(sc.name)!.get(s.name)!.push(mbs);
          // in.tftpd's child exits after the last ACK: give it a moment.
          await new Promise((r) => setTimeout(r, 50));
          const used = cpu.get(sc.name)!.get(s.name)!;
          used.seconds += (s.cpu?.seconds() ?? 0) - cpu0;
          used.mb += sc.bytes / 1e6;
          process.stderr.write(`round ${round + 1} ${sc.name} ${s.name}: ${mbs.toFixed(1)} MB/s\n`);
        }
      }
    }

    const names = servers.map((s) => s.name);
    const best = (sc: string, n: string) => Math.max(...results.get(sc)!.get(n)!);
    const lines: string[] = [];
    lines.push(
      `TFTP on loopback, ${ROUNDS} rounds, MB/s as best (median); file ${SIZE >> 20} MiB single, 8 MiB multi${
        PIN === "" ? "" : `; servers on CPU ${SERVER_CPU}, clients on CPU ${CLIENT_CPU}`
      }`,
    );
    lines.push(
      ["scenario", ...names, ...names.filter((n) => n !== "bootfleet").map((n) => `bootfleet/${n}`)].join(
        " | ",
      ),
    );
    for (const sc of active) {
      const row = [sc.name];
      for (const n of names) {
        const xs = results.get(sc.name)!.get(n)!;
        row.push(`${Math.max(...xs).toFixed(1)} (${median(xs).toFixed(1)})`);
      }
      for (const n of names)
        if (n !== "bootfleet") row.push(`${(best(sc.name, "bootfleet") / best(sc.name, n)).toFixed(2)}x`);
      lines.push(row.join(" | "));
    }
    lines.push("");
    lines.push("server CPU (its cgroup: threads and children) per MB moved, ms, over all rounds");
    lines.push(["scenario", ...names].join(" | "));
    const unmetered = servers.filter((s) => s.cpu === null).map((s) => s.name);
    if (unmetered.length > 0)
      notes.push(`no CPU figures for ${unmetered.join(", ")}: no cgroup could be made`);
    for (const sc of active)
      lines.push(
        [
          sc.name,
          ...names.map((n) => {
            const u = cpu.get(sc.name)!.get(n)!;
            return servers.find((s) => s.name === n)!.cpu === null
              ? "-"
              : ((u.seconds * 1000) / u.mb).toFixed(2);
          }),
        ].join(" | "),
      );
    const pick = (name: string, n: string): number => best(name, n);
    const lockNames = scenarios
      .slice(0, 3)
      .map((sc) => sc.name)
      .filter((name) => results.has(name));
    const hpaLock = Math.max(...lockNames.map((p) => pick(p, "tftpd-hpa")));
    const bfLock = Math.max(...lockNames.map((p) => pick(p, "bootfleet")));
    lines.push("");
    if (lockNames.length === 0) {
      for (const n of notes) lines.push(`note: ${n}`);
      process.stdout.write(`${lines.join("\n")}\n`);
      return;
    }
    lines.push(
      `goal lock-step (real clients): bootfleet ${bfLock.toFixed(1)} vs tftpd-hpa ${hpaLock.toFixed(1)} MB/s = ${(bfLock / hpaLock).toFixed(2)}x (goal >= 1x)`,
    );
    // Best-of favours whichever server drew a lucky round; the medians say more on a noisy machine.
    const med = (sc: string, n: string) => median(results.get(sc)!.get(n)!);
    for (const name of lockNames.concat(
      scenarios.filter((sc) => sc.name.includes("512")).map((sc) => sc.name),
    ))
      if (results.has(name) && results.get(name)!.has("tftpd-hpa"))
        lines.push(
          `  median ratio, ${name}: ${(med(name, "bootfleet") / med(name, "tftpd-hpa")).toFixed(2)}x over ${ROUNDS} rounds`,
        );
    for (const [label, prefix] of [
      ["atftp windowsize 16", "1 client, atftp blksize 1468 windowsize 16"],
      ["window-client windowsize 16", "1 client, bench window-client blksize 1468 windowsize 16"],
      ["window-client windowsize 64", "1 client, bench window-client blksize 1468 windowsize 64"],
    ] as const) {
      if (!active.some((sc) => sc.name === prefix) || !servers.some((x) => x.name === "tftpd-hpa")) continue;
      const w = pick(prefix, "bootfleet");
      lines.push(
        `goal windowsize: bootfleet ${label} ${w.toFixed(1)} vs tftpd-hpa lock-step ${hpaLock.toFixed(1)} MB/s = ${(w / hpaLock).toFixed(2)}x (goal >= 3x)`,
      );
    }
    for (const n of notes) lines.push(`note: ${n}`);
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await Promise.all(servers.map((s) => stop(s.proc)));
    for (const s of servers) s.cpu?.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
