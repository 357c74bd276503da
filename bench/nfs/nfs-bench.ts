/**
 * NFS benchmark: bootfleet's NFS service and nfs-ganesha 4.3 (VFS FSAL,
 * Debian's nfs-ganesha and nfs-ganesha-vfs) serving the same file read-only,
 * in one run, with the same client, all inside a network namespace of the
 * benchmark's own (its loopback only):
 *
 *   node --import tsx bench/nfs/nfs-bench.ts [--rounds 3] [--seconds 5] [--size-mib 512]
 *
 * Figures per server, each the median over rounds (the servers take turns
 * within a round, so background load hits both alike):
 *   seq   the whole file in READs of the server's preferred size (1 MiB for
 *         both), 8 in flight on one TCP connection, pass after pass for
 *         --seconds (whole passes): MB/s (10^6 bytes/s)
 *   rand  4 KiB READs at random offsets, 32 in flight on one connection,
 *         for --seconds: reads per second
 *   cpu   the server's CPU time (user + system, its process and children,
 *         from /proc) per GB read sequentially and per random read: on a
 *         machine others share, throughput follows their load, the CPU a
 *         server spends on each byte much less (the client's own CPU per GB
 *         is printed per round too: a server that made it work harder
 *         would show there)
 * A round of each, unmeasured, comes first (warm-up).
 * The client is bench/nfs/nfs-read-client.ts (the project's RPC client):
 * this container has no kernel NFS client, so fio over a mount cannot run
 * here. The file is read once before the first round so both servers read
 * from the page cache. bootfleet runs in its own Node process
 * (bench/nfs/serve-tree.ts). Needs root (namespaces); everything started is
 * stopped by PID and the namespace removed at the end.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import { mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { requirePeers } from "../../test/support/require-peers.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    "size-mib": { type: "string", default: "512" },
  },
});
const rounds = Math.max(1, Math.min(10, Number(values.rounds)));
const seconds = Math.max(1, Math.min(60, Number(values.seconds)));
const size = Math.max(16, Math.min(4096, Number(values["size-mib"]))) * 1024 * 1024;

requirePeers(["ganesha.nfsd", "rpcbind", "unshare", "ip"], { root: true });

const root = join(import.meta.dirname, "..", "..");
const dir = join(tmpdir(), `bf-nfs-bench-${process.pid}`);
const ns = `bf-nfsbench-${process.pid}`;
const children: ChildProcess[] = [];
const OURS = 2049;
const GANESHA = { nfs: 12049, mount: 12048 };

function inNs(cmd: string, args: readonly string[]): ChildProcess {
  const child = spawn("ip", ["netns", "exec", ns, cmd, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return child;
}

/** Runs the client once in the namespace; its JSON line. */
function client(
  nfsPort: number,
  mountPort: number,
  exportPath: string,
  mode: "seq" | "rand",
  forSeconds = seconds,
) {
  const r = spawnSync(
    "ip",
    [
      "netns",
      "exec",
      ns,
      process.execPath,
      "--import",
      "tsx",
      join(root, "bench/nfs/nfs-read-client.ts"),
      "127.0.0.1",
      String(nfsPort),
      String(mountPort),
      exportPath,
      "big",
      mode,
      String(forSeconds),
    ],
    { cwd: root, encoding: "utf8", timeout: (seconds + 300) * 1000 },
  );
  if (r.status !== 0) throw new Error(`client ${mode} on port ${nfsPort}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as {
    bytes: number;
    reads: number;
    seconds: number;
    cpu: number;
    rtpref: number;
  };
}

async function waitServing(nfsPort: number, mountPort: number, exportPath: string, log: () => string) {
  for (let i = 0; i < 100; i++) {
    try {
      client(nfsPort, mountPort, exportPath, "rand");
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`server on ${nfsPort} did not start serving: ${log()}`);
}

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** CPU seconds (user + system) used so far by a process and its descendants, from /proc (proc(5)). */
function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  const visit = (p: number) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      // After "pid (comm) ", fields from state (3rd) on: utime is the 14th, stime the 15th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim();
        for (const c of children.split(" ").filter(Boolean)) visit(Number(c));
      }
    } catch {
      // Gone meanwhile: its time is no longer counted anywhere we can read.
    }
  };
  visit(pid);
  return ticks / CLK_TCK;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

try {
  execFileSync("ip", ["netns", "add", ns]);
  execFileSync("ip", ["netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
  const tree = join(dir, "tree");
  await mkdir(tree, { recursive: true });
  process.stderr.write(`making a ${size / 1048576} MiB file in ${tree}\n`);
  const fh = await open(join(tree, "big"), "w");
  const block = Buffer.alloc(1 << 20);
  for (let off = 0; off < size; off += block.length) {
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE(((off + i) * 2654435761) >>> 0, i);
    await fh.write(block, 0, block.length, off);
  }
  await fh.close();
  // Read it once: both servers then read from the page cache.
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(join(tree, "big"))) hash.update(chunk as Buffer);

  let oursLog = "";
  const ours = inNs(process.execPath, [
    "--import",
    "tsx",
    join(root, "bench/nfs/serve-tree.ts"),
    tree,
    String(OURS),
  ]);
  ours.stderr?.on("data", (d: Buffer) => (oursLog += d.toString()));
  await waitServing(OURS, OURS, "/tree", () => oursLog);

  const conf = join(dir, "ganesha.conf");
  await writeFile(
    conf,
    `NFS_CORE_PARAM {
  Protocols = 3;
  NFS_Port = ${GANESHA.nfs};
  MNT_Port = ${GANESHA.mount};
  NLM_Port = 12047;
  Rquota_Port = 12046;
  Enable_NLM = false;
  Enable_RQUOTA = false;
}
NFSV4 { Graceless = true; RecoveryBackend = fs; RecoveryRoot = ${join(dir, "recovery")}; }
EXPORT {
  Export_Id = 1;
  Path = ${tree};
  Pseudo = /tree;
  Access_Type = RO;
  Squash = No_Root_Squash;
  Protocols = 3;
  Transports = TCP;
  SecType = sys;
  FSAL { Name = VFS; }
}
LOG { Default_Log_Level = WARN; }
`,
  );
  const ganeshaLog = join(dir, "ganesha.log");
  const ganesha = inNs("unshare", [
    "-m",
    "--propagation",
    "private",
    "sh",
    join(root, "bench/nfs/run-ganesha.sh"),
    conf,
    ganeshaLog,
  ]);
  await waitServing(GANESHA.nfs, GANESHA.mount, tree, () => "(see the log)");

  const servers = [
    { name: "bootfleet", nfs: OURS, mount: OURS, path: "/tree", pid: ours.pid! },
    { name: "ganesha", nfs: GANESHA.nfs, mount: GANESHA.mount, path: tree, pid: ganesha.pid! },
  ];
  const figures = new Map(
    servers.map((s) => [
      s.name,
      {
        seq: [] as number[],
        rand: [] as number[],
        seqCpu: [] as number[],
        randCpu: [] as number[],
        clientSeqCpu: [] as number[],
      },
    ]),
  );
  // One unmeasured round first: the first seconds of a fresh process (V8
  // compiling the READ path, the reply buffers' first page faults, TCP's
  // buffers growing) are not what a server doing this all day costs.
  for (const s of servers) {
    const { rtpref } = client(s.nfs, s.mount, s.path, "seq", 1);
    process.stderr.write(
      `${s.name}: sequential READs of ${rtpref / 1024} KiB (its FSINFO rtpref, at most 1 MiB)\n`,
    );
    client(s.nfs, s.mount, s.path, "rand", 1);
  }
  for (let round = 1; round <= rounds; round++) {
    for (const s of servers) {
      const f = figures.get(s.name)!;
      let cpu = treeCpuSeconds(s.pid);
      const seq = client(s.nfs, s.mount, s.path, "seq");
      f.seqCpu.push((treeCpuSeconds(s.pid) - cpu) / (seq.bytes / 1e9));
      f.clientSeqCpu.push(seq.cpu / (seq.bytes / 1e9));
      if (seq.bytes === 0 || seq.bytes % size !== 0) {
        throw new Error(`${s.name} seq read ${seq.bytes} bytes, not whole passes of ${size}`);
      }
      f.seq.push(seq.bytes / 1e6 / seq.seconds);
      cpu = treeCpuSeconds(s.pid);
      const rand = client(s.nfs, s.mount, s.path, "rand");
      f.randCpu.push(((treeCpuSeconds(s.pid) - cpu) / rand.reads) * 1e6);
      f.rand.push(rand.reads / rand.seconds);
      process.stderr.write(
        `round ${round} ${s.name.padEnd(10)} seq ${f.seq.at(-1)!.toFixed(0)} MB/s (${f.seqCpu.at(-1)!.toFixed(2)} CPU s/GB, client ${f.clientSeqCpu.at(-1)!.toFixed(2)})  rand ${f.rand.at(-1)!.toFixed(0)} reads/s (${f.randCpu.at(-1)!.toFixed(1)} CPU us/read)\n`,
      );
    }
  }
  const m = (name: string) => ({
    seq: median(figures.get(name)!.seq),
    rand: median(figures.get(name)!.rand),
    seqCpu: median(figures.get(name)!.seqCpu),
    randCpu: median(figures.get(name)!.randCpu),
  });
  const row = (name: string, x: ReturnType<typeof m>) =>
    `${name.padEnd(12)}${x.seq.toFixed(0).padStart(12)}${x.rand.toFixed(0).padStart(12)}${x.seqCpu.toFixed(2).padStart(12)}${x.randCpu.toFixed(1).padStart(14)}`;
  const b = m("bootfleet");
  const g = m("ganesha");
  const lines = [
    `NFS benchmark: ${size / 1048576} MiB file, ${rounds} rounds, medians (nproc ${spawnSync("nproc", { encoding: "utf8" }).stdout.trim()}, load ${(await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ")})`,
    `${"server".padEnd(12)}${"seq MB/s".padStart(12)}${"rand 4K/s".padStart(12)}${"CPU s/GB".padStart(12)}${"CPU us/read".padStart(14)}`,
    row("bootfleet", b),
    row("ganesha", g),
    // Throughput: bootfleet / ganesha (above 1: bootfleet faster). CPU: ganesha / bootfleet (above 1: bootfleet spends less).
    `${"ratio".padEnd(12)}${(b.seq / g.seq).toFixed(2).padStart(12)}${(b.rand / g.rand).toFixed(2).padStart(12)}${(g.seqCpu / b.seqCpu).toFixed(2).padStart(12)}${(g.randCpu / b.randCpu).toFixed(2).padStart(14)}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  for (const c of children.reverse()) {
    if (c.exitCode !== null || c.pid === undefined) continue;
    c.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    if (c.exitCode === null) c.kill("SIGKILL");
  }
  try {
    execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  } catch {}
  await rm(dir, { recursive: true, force: true });
}
