/**
 * NBD benchmark: bootfleet's NBD service, Debian's nbd-server 3.24 and
 * nbdkit 1.32 (file plugin) serving the same 1 GiB file on 127.0.0.1, in
 * one run, with the same clients:
 *
 *   node --import tsx bench/nbd/nbd-bench.ts [--rounds 3] [--seconds 5] [--size-mib 1024]
 *
 * Figures per server, each the median over rounds (the servers take turns
 * within a round, so background load hits all of them alike):
 *   seq-1   nbdcopy --connections=1 URI null:, MB/s (10^6 bytes/s)
 *   seq-4   nbdcopy --connections=4 URI null:, MB/s. nbdcopy opens several
 *           connections only when the server offers NBD_FLAG_CAN_MULTI_CONN;
 *           nbd-server 3.24 does not, so its seq-4 runs on one connection.
 *   rand    fio's nbd engine, random 4 KiB reads, iodepth 32, one
 *           connection, for --seconds: reads per second.
 * All three serve read-only. The file is read once before the first round
 * so every server reads from the page cache. bootfleet runs in its own
 * Node process (bench/nbd/serve-directory.ts), as `bootfleet serve` would.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  makeImage,
  peerEnv,
  requireNbdPeers,
  run,
  sha256OfFile,
} from "../../test/fixtures/nbd/nbd-harness.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    "size-mib": { type: "string", default: "1024" },
  },
});
const rounds = Math.max(1, Math.min(10, Number(values.rounds)));
const seconds = Math.max(1, Math.min(60, Number(values.seconds)));
const size = Math.max(16, Math.min(4096, Number(values["size-mib"]))) * 1024 * 1024;

requireNbdPeers(["nbdcopy", "fio", "nbd-server", "nbdkit"]);
if (!spawnSync("fio", ["--enghelp"], { encoding: "utf8" }).stdout.includes("nbd")) {
  throw new Error("Debian's fio has no nbd engine here; the benchmark needs it");
}

const root = join(import.meta.dirname, "..", "..");
const dir = join(tmpdir(), `bf-nbd-bench-${process.pid}`);
const file = join(dir, "exports", "disk");
const children: ChildProcess[] = [];
const daemonPids: number[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen({ port: 0, host: "127.0.0.1" }, resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Starts a server process and waits until `nbdinfo` can reach the export. */
async function startServer(cmd: string, args: string[], uri: string): Promise<void> {
  const child = spawn(cmd, args, { env: peerEnv, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    if ((await run("nbdinfo", ["--size", uri], 5000)).code === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${cmd} did not start serving ${uri}: ${stderr}`);
}

async function seqMBps(uri: string, connections: number): Promise<number> {
  const start = process.hrtime.bigint();
  const r = await run("nbdcopy", [`--connections=${connections}`, uri, "null:"], 300_000);
  const ns = Number(process.hrtime.bigint() - start);
  if (r.code !== 0) throw new Error(`nbdcopy ${uri}: ${r.stderr}`);
  return size / 1e6 / (ns / 1e9);
}

async function randIops(uri: string): Promise<number> {
  const job = join(dir, "rand.fio");
  const out = join(dir, "rand.json");
  await writeFile(
    job,
    [
      "[rand]",
      "ioengine=nbd",
      `uri=${uri}`,
      "rw=randread",
      "bs=4k",
      "iodepth=32",
      `size=${size}`,
      "time_based=1",
      `runtime=${seconds}`,
      "",
    ].join("\n"),
  );
  const r = await run("fio", [job, "--output-format=json", `--output=${out}`], (seconds + 60) * 1000);
  if (r.code !== 0) throw new Error(`fio ${uri}: ${r.stderr}`);
  const result = JSON.parse(await readFile(out, "utf8")) as { jobs: { read: { iops: number } }[] };
  return result.jobs[0]!.read.iops;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

try {
  process.stderr.write(`making a ${size / 1048576} MiB file in ${dir}\n`);
  await mkdir(join(dir, "exports"), { recursive: true });
  await makeImage(file, size);
  await sha256OfFile(file); // reads it all: into the page cache

  const ours = await freePort();
  await startServer(
    process.execPath,
    [
      "--import",
      "tsx",
      join(root, "bench/nbd/serve-directory.ts"),
      join(dir, "exports"),
      String(ours),
      "--quiet",
    ],
    `nbd://127.0.0.1:${ours}/disk`,
  );

  const nbdServerPort = await freePort();
  const conf = join(dir, "nbd-server.conf");
  await writeFile(
    conf,
    [
      "[generic]",
      `listenaddr = 127.0.0.1`,
      `port = ${nbdServerPort}`,
      "allowlist = true",
      "[disk]",
      `exportname = ${file}`,
      "readonly = true",
      "",
    ].join("\n"),
  );
  // nbd-server daemonizes (its -d serves one connection and exits): stop it by its pid file.
  const pidFile = join(dir, "nbd-server.pid");
  await startServer("nbd-server", ["-C", conf, "-p", pidFile], `nbd://127.0.0.1:${nbdServerPort}/disk`);
  daemonPids.push(Number((await readFile(pidFile, "utf8")).trim()));

  const nbdkitPort = await freePort();
  await startServer(
    "nbdkit",
    ["-f", "-r", "-i", "127.0.0.1", "-p", String(nbdkitPort), "file", file],
    `nbd://127.0.0.1:${nbdkitPort}/`,
  );

  const servers = [
    { name: "bootfleet", uri: `nbd://127.0.0.1:${ours}/disk` },
    { name: "nbd-server", uri: `nbd://127.0.0.1:${nbdServerPort}/disk` },
    { name: "nbdkit", uri: `nbd://127.0.0.1:${nbdkitPort}/` },
  ];
  const figures = new Map(
    servers.map((s) => [s.name, { seq1: [] as number[], seq4: [] as number[], rand: [] as number[] }]),
  );
  for (let round = 1; round <= rounds; round++) {
    for (const s of servers) {
      const f = figures.get(s.name)!;
      f.seq1.push(await seqMBps(s.uri, 1));
      f.seq4.push(await seqMBps(s.uri, 4));
      f.rand.push(await randIops(s.uri));
      process.stderr.write(
        `round ${round} ${s.name.padEnd(10)} seq-1 ${f.seq1.at(-1)!.toFixed(0)} MB/s  seq-4 ${f.seq4.at(-1)!.toFixed(0)} MB/s  rand ${f.rand.at(-1)!.toFixed(0)} IOPS\n`,
      );
    }
  }

  const m = (name: string) => {
    const f = figures.get(name)!;
    return { seq1: median(f.seq1), seq4: median(f.seq4), rand: median(f.rand) };
  };
  const b = m("bootfleet");
  const lines = [
    `NBD benchmark: ${size / 1048576} MiB file, ${rounds} rounds, medians (nproc ${spawnSync("nproc", { encoding: "utf8" }).stdout.trim()}, load ${(await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ")})`,
    `${"server".padEnd(12)}${"seq-1 MB/s".padStart(12)}${"seq-4 MB/s".padStart(12)}${"rand 4K/s".padStart(12)}`,
  ];
  for (const s of servers) {
    const x = m(s.name);
    lines.push(
      `${s.name.padEnd(12)}${x.seq1.toFixed(0).padStart(12)}${x.seq4.toFixed(0).padStart(12)}${x.rand.toFixed(0).padStart(12)}`,
    );
  }
  for (const other of ["nbd-server", "nbdkit"]) {
    const x = m(other);
    lines.push(
      `${`ratio vs ${other}`.padEnd(22)}seq-1 ${(b.seq1 / x.seq1).toFixed(2)}  seq-4 ${(b.seq4 / x.seq4).toFixed(2)}  rand ${(b.rand / x.rand).toFixed(2)}`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  for (const pid of daemonPids) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      /* already gone */
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
}
