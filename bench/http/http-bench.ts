/**
 * bootfleet's HTTP service vs nginx (Debian's nginx-light, sendfile on)
 * serving the same 64 MiB "kernel" on loopback to 1 and to 50 concurrent
 * curl clients. Prints MB/s for each and the ratio to nginx (goal:
 * bootfleet >= 80% of nginx), and each server's CPU seconds per GB sent
 * (/proc, every thread and child, over all rounds). bootfleet runs three
 * ways: as it ships (bodies from 256 KiB by sendfile on the addon's
 * thread), writing bodies from the event loop out of its hot-file cache,
 * and streaming them from disk.
 *
 *   node --import tsx bench/http/http-bench.ts [--rounds 3] [--workers 1]
 *
 * Both servers run as their own processes, started here and stopped by PID;
 * nginx gets its own config, prefix, pid and logs in a temp folder and
 * listens on a free 127.0.0.1 high port. nginx runs one worker by default
 * (one core, like Node's one event loop); --workers auto gives it both.
 * Each round runs the contenders one after the other, alternating order;
 * the median round is reported.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { missingPeers } from "../../test/support/require-peers.js";
import { treeCpuSeconds } from "../support/cpu-seconds.js";

const SIZE = 64 * 1024 * 1024;
const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const ROUNDS = Number(opt("--rounds", "3"));
const WORKERS = opt("--workers", "1");
const SEQUENTIAL_FETCHES = Number(opt("--fetches", "8"));
const CLIENTS = Number(opt("--clients", "50"));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a !== "string" ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

function curlOnce(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-sS", "-f", "-o", "/dev/null", "-w", "%{size_download}", url], (err, stdout) => {
      if (err) reject(new Error(`curl ${url}: ${err.message}`));
      else resolve(Number(stdout));
    });
  });
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await curlOnce(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} never answered`);
}

interface Contender {
  readonly name: string;
  readonly url: string;
  /** The server's process (nginx: its master; the workers are its children). */
  readonly pid: number;
}

interface Fetched {
  /** MB/s (10^6 bytes). */
  readonly mbs: number;
  readonly bytes: number;
}

/** MB/s (10^6 bytes) of one client fetching the file N times in a row. */
async function oneClient(url: string): Promise<Fetched> {
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < SEQUENTIAL_FETCHES; i++) bytes += await curlOnce(url);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (bytes !== SIZE * SEQUENTIAL_FETCHES) throw new Error(`short download from ${url}: ${bytes}`);
  return { mbs: bytes / 1e6 / s, bytes };
}

/** Aggregate MB/s of many clients fetching the file at once. */
async function manyClients(url: string): Promise<Fetched> {
  const t0 = process.hrtime.bigint();
  const sizes = await Promise.all(Array.from({ length: CLIENTS }, () => curlOnce(url)));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = sizes.reduce((a, b) => a + b, 0);
  if (bytes !== SIZE * CLIENTS) throw new Error(`short download from ${url}: ${bytes}`);
  return { mbs: bytes / 1e6 / s, bytes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function stop(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (child.exitCode === null) process.kill(child.pid!, "SIGKILL");
    }, 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    process.kill(child.pid!, signal);
  });
}

async function main(): Promise<void> {
  const missing = missingPeers(["curl", "nginx"]);
  if (missing !== undefined) {
    process.stderr.write(`bench: ${missing}\n`);
    process.exit(1);
  }
  const tmp = mkdtempSync(join(tmpdir(), "bf-bench-http-"));
  let nginx: ChildProcess | undefined;
  const ours: Record<string, ChildProcess> = {};
  try {
    // nginx's workers run as nobody: the folders and the file must be readable to them.
    chmodSync(tmp, 0o755);
    const www = join(tmp, "www");
    const imageDir = join(www, "images", "bench", "1");
    mkdirSync(imageDir, { recursive: true });
    for (const d of [www, join(www, "images"), join(www, "images", "bench"), imageDir]) chmodSync(d, 0o755);
    writeFileSync(join(imageDir, "vmlinuz"), randomBytes(SIZE));
    writeFileSync(join(imageDir, "initrd.img"), "x");
    chmodSync(join(imageDir, "vmlinuz"), 0o644);
    const path = "/images/bench/1/vmlinuz";

    const nginxPort = await freePort();
    const conf = join(tmp, "nginx.conf");
    for (const d of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(tmp, d));
    writeFileSync(
      conf,
      `worker_processes ${WORKERS};
daemon off;
pid ${tmp}/nginx.pid;
error_log ${tmp}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 10;
  default_type application/octet-stream;
  client_body_temp_path ${tmp}/client_body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  server {
    listen 127.0.0.1:${nginxPort};
    root ${www};
  }
}
`,
    );
    nginx = spawn("nginx", ["-p", tmp, "-e", join(tmp, "error.log"), "-c", conf], { stdio: "inherit" });
    const nginxUrl = `http://127.0.0.1:${nginxPort}${path}`;
    await waitFor(nginxUrl);

    const here = fileURLToPath(new URL(".", import.meta.url));
    const startOurs = async (name: string, extra: string[]): Promise<Contender> => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(here, "bootfleet-server.ts"), join(www, "images"), ...extra],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      ours[name] = child;
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (c: Buffer) => {
          out += c.toString();
          const m = /port (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once("exit", (code) => reject(new Error(`bootfleet server exited with ${code}`)));
      });
      const url = `http://127.0.0.1:${port}${path}`;
      await waitFor(url);
      return { name, url, pid: child.pid! };
    };
    const contenders: Contender[] = [
      { name: "nginx", url: nginxUrl, pid: nginx.pid! },
      await startOurs("bootfleet", []),
      await startOurs("bootfleet (event loop writes)", ["--no-offload"]),
      await startOurs("bootfleet (no cache, from disk)", ["--no-cache", "--no-offload"]),
    ];

    const results = new Map<string, { one: number[]; many: number[]; cpu: number; bytes: number }>();
    for (const { name } of contenders) results.set(name, { one: [], many: [], cpu: 0, bytes: 0 });
    /** Runs `fetch` against `c`, adding the server's CPU seconds and the bytes to its totals. */
    const measured = async (c: Contender, fetch: (url: string) => Promise<Fetched>): Promise<number> => {
      const r = results.get(c.name)!;
      const before = treeCpuSeconds(c.pid);
      const { mbs, bytes } = await fetch(c.url);
      r.cpu += treeCpuSeconds(c.pid) - before;
      r.bytes += bytes;
      return mbs;
    };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const c of order) results.get(c.name)!.one.push(await measured(c, oneClient));
      for (const c of order) results.get(c.name)!.many.push(await measured(c, manyClients));
    }

    const nginxOne = median(results.get("nginx")!.one);
    const nginxMany = median(results.get("nginx")!.many);
    const line = (cols: string[]) =>
      process.stdout.write(`${cols.map((c, i) => (i === 0 ? c.padEnd(34) : c.padStart(18))).join("")}\n`);
    process.stdout.write(
      `\nHTTP: 64 MiB file on 127.0.0.1, curl clients; median of ${ROUNDS} rounds; nginx worker_processes ${WORKERS}\n\n`,
    );
    line(["server", `1 client (MB/s)`, "ratio", `${CLIENTS} clients (MB/s)`, "ratio", "server CPU s/GB"]);
    for (const { name } of contenders) {
      const r = results.get(name)!;
      const one = median(r.one);
      const many = median(r.many);
      line([
        name,
        one.toFixed(0),
        `${((one / nginxOne) * 100).toFixed(0)}%`,
        many.toFixed(0),
        `${((many / nginxMany) * 100).toFixed(0)}%`,
        (r.cpu / (r.bytes / 1e9)).toFixed(2),
      ]);
    }
    process.stdout.write(
      `\nrounds (MB/s): ${JSON.stringify(Object.fromEntries([...results].map(([k, v]) => [k, { one: v.one.map(Math.round), many: v.many.map(Math.round) }])))}\n`,
    );
  } finally {
    await stop(nginx, "SIGQUIT");
    for (const child of Object.values(ours)) await stop(child, "SIGTERM");
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
