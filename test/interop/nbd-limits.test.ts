/**
 * The NBD service against clients that misbehave, with nbdinfo (libnbd) as
 * the well-behaved client that must still be served.
 *
 * - Clients that send READs and never read the replies, then hang up: the
 *   server (its own process, so its RSS is its alone) stops reading them at
 *   its reply bound, and its RSS stays bounded while they hold on and after
 *   they leave. Before the bound, each such client pinned about 64 MiB.
 * - Connections beyond `max_connections_per_client` from one address are
 *   closed before the greeting, while another address is served.
 * - Connections beyond `max_connections` are closed the same way, with one
 *   warning line for the lot, and served again once others leave.
 *
 * The abusers connect from 127.0.0.2 (all of 127/8 is this host), nbdinfo
 * from 127.0.0.1.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { DEFAULT_NBD_MAX_CONNECTIONS_PER_CLIENT } from "../../src/config/config-schema.js";
import { type BootEvent, EventBus } from "../../src/events/event-bus.js";
import { MemoryLogger } from "../../src/logging/logger.js";
import {
  NBD_CMD_READ,
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_OPT_EXPORT_NAME,
} from "../../src/protocols/nbd/nbd-constants.js";
import { encodeClientFlags, encodeOption } from "../../src/protocols/nbd/nbd-handshake.js";
import { encodeRequest } from "../../src/protocols/nbd/nbd-transmission.js";
import { DirectoryExportSource } from "../../src/services/nbd/directory-export-source.js";
import { NbdService } from "../../src/services/nbd/nbd-service.js";
import { requireNbdPeers, run } from "../fixtures/nbd/nbd-harness.js";

const MIB = 1024 * 1024;
const ABUSER_ADDRESS = "127.0.0.2";
const MAIN = join(import.meta.dirname, "..", "fixtures", "nbd", "nbd-server-main.ts");

let dir: string;

before(async () => {
  requireNbdPeers(["nbdinfo"]);
  dir = await mkdtemp(join(tmpdir(), `bf-nbd-limits-${process.pid}-`));
  // Sparse: reads cost no disk, and simple replies still carry every byte.
  const disk = await open(join(dir, "disk"), "w");
  await disk.truncate(256 * MIB);
  await disk.close();
  await writeFile(join(dir, "small"), "0123456789");
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The NBD service in a child process (test/fixtures/nbd/nbd-server-main.ts). */
class ServerProcess {
  readonly events: BootEvent[] = [];
  readonly stderr: string[] = [];
  readonly child: ChildProcess;
  readonly ready: Promise<number>;
  port = 0;
  readonly #waiters: (() => void)[] = [];

  private constructor(args: readonly string[]) {
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", MAIN, "--root", dir, "--cow-dir", join(dir, "cow"), ...args],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    createInterface({ input: this.child.stderr! }).on("line", (line) => this.stderr.push(line));
    this.ready = new Promise<number>((resolve, reject) => {
      this.child.once("exit", (code) =>
        reject(new Error(`nbd-server-main exited ${code}: ${this.stderr.join("\n")}`)),
      );
      createInterface({ input: this.child.stdout! }).on("line", (line) => {
        if (line.startsWith("READY ")) resolve((JSON.parse(line.slice(6)) as { port: number }).port);
        if (!line.startsWith("EVENT ")) return;
        this.events.push(JSON.parse(line.slice(6)) as BootEvent);
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  static async start(args: readonly string[]): Promise<ServerProcess> {
    const server = new ServerProcess(args);
    try {
      server.port = await server.ready;
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** VmRSS of the server process, in MiB. */
  rssMiB(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, "utf8");
    const kib = /VmRSS:\s+(\d+) kB/.exec(status);
    assert.ok(kib, "VmRSS missing from /proc/PID/status");
    return Number(kib[1]) / 1024;
  }

  /** Waits until `count` events of `type` from `ip` were published. */
  async eventsFrom(type: string, ip: string, count: number): Promise<void> {
    while (this.events.filter((e) => e.type === type && e.ip === ip).length < count) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}

/** A raw client from `localAddress`; `ended` resolves with the bytes the server sent before it closed. */
async function rawConnect(
  port: number,
  localAddress: string,
): Promise<{ socket: Socket; ended: Promise<number> }> {
  const socket = connect({ port, host: "127.0.0.1", localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  let received = 0;
  socket.on("data", (d: Buffer) => {
    received += d.length;
  });
  const ended = new Promise<number>((resolve) => socket.once("close", () => resolve(received)));
  return { socket, ended };
}

/**
 * A client that picks the export, sends READs (1 MiB ones and 32 MiB ones)
 * and never reads a byte of what comes back.
 */
async function openAbuser(port: number): Promise<Socket> {
  const socket = connect({ port, host: "127.0.0.1", localAddress: ABUSER_ADDRESS });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  socket.pause();
  socket.write(encodeClientFlags(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES));
  socket.write(encodeOption(NBD_OPT_EXPORT_NAME, Buffer.from("disk")));
  for (let i = 0; i < 96; i++) {
    const length = i % 24 === 0 ? 32 * MIB : MIB;
    const offset = BigInt((i * 2 * MIB) % (200 * MIB));
    socket.write(encodeRequest({ type: NBD_CMD_READ, flags: 0, handle: BigInt(i + 1), offset, length }));
  }
  return socket;
}

/** Samples RSS until it has grown less than 1 MiB over a second (at most 20 s); the highest sample. */
async function settledRss(server: ServerProcess): Promise<number> {
  const samples = [server.rssMiB()];
  for (let i = 0; i < 80; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    samples.push(server.rssMiB());
    if (samples.length > 4 && samples.at(-1)! - samples.at(-5)! < 1) break;
  }
  return Math.max(...samples);
}

describe("NBD clients that never read their replies", () => {
  it("hold a bounded amount of server memory, and nbdinfo from another address is still served", async (t) => {
    const server = await ServerProcess.start([]);
    const abusers: Socket[] = [];
    try {
      const warm = await run("nbdinfo", ["--size", `nbd://127.0.0.1:${server.port}/small`]);
      assert.equal(warm.code, 0, warm.stderr);
      const baseline = server.rssMiB();
      const perClient = DEFAULT_NBD_MAX_CONNECTIONS_PER_CLIENT;
      for (let i = 0; i < perClient; i++) abusers.push(await openAbuser(server.port));
      await server.eventsFrom("nbd.connect", ABUSER_ADDRESS, perClient);

      // Over the per-client limit: closed before the greeting.
      const extra = await Promise.all([1, 2, 3, 4].map(() => rawConnect(server.port, ABUSER_ADDRESS)));
      assert.deepEqual(await Promise.all(extra.map((c) => c.ended)), [0, 0, 0, 0]);

      // Another address is served meanwhile.
      const info = await run("nbdinfo", ["--size", `nbd://127.0.0.1:${server.port}/small`]);
      assert.equal(info.code, 0, info.stderr);
      assert.equal(info.stdout.trim(), "10");

      const holding = await settledRss(server);
      for (const s of abusers) s.destroy();
      await server.eventsFrom("nbd.disconnect", ABUSER_ADDRESS, perClient);
      const left = server.rssMiB();
      const report = `RSS MiB: baseline ${baseline.toFixed(0)}, ${perClient} clients holding ${holding.toFixed(0)}, after they left ${left.toFixed(0)}`;
      t.diagnostic(report);
      // About 6 MiB per client at most (4 MiB reply bound plus one 2 MiB slice).
      assert.ok(holding - baseline < 160, report);
      assert.ok(left - baseline < 128, report);
      const refusals = server.stderr.filter((l) => l.includes("nbd: connection refused"));
      assert.equal(refusals.length, 1, refusals.join("\n"));
      assert.match(refusals[0]!, /"limit":"max_connections_per_client"/);
    } finally {
      for (const s of abusers) s.destroy();
      await server.stop();
    }
  });
});

describe("NBD max_connections", () => {
  it("closes connections over the limit before the greeting, logs once, and serves again when one leaves", async () => {
    const log = new MemoryLogger();
    const service = new NbdService({
      listen: { port: 0, host: "127.0.0.1" },
      source: new DirectoryExportSource({ root: dir }),
      bus: new EventBus(),
      logger: log,
      options: { cowDir: join(dir, "cow"), maxConnections: 3 },
    });
    const { port } = await service.start();
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) held.push((await rawConnect(port, ABUSER_ADDRESS)).socket);
      const refused = await run("nbdinfo", ["--size", `nbd://127.0.0.1:${port}/small`]);
      assert.notEqual(refused.code, 0, "nbdinfo was served over max_connections");
      const more = await Promise.all([1, 2, 3].map(() => rawConnect(port, "127.0.0.1")));
      assert.deepEqual(await Promise.all(more.map((c) => c.ended)), [0, 0, 0]);
      const lines = log.records.filter((r) => r.msg === "nbd: connection refused, over a limit");
      assert.equal(lines.length, 1);
      assert.equal((lines[0]!.obj as { limit?: string }).limit, "max_connections");
      assert.equal(service.stats().refused, 4);

      const gone = held.pop()!;
      const closed = new Promise((resolve) => gone.once("close", resolve));
      gone.destroy();
      await closed;
      while (service.stats().connections > 2) await new Promise((resolve) => setTimeout(resolve, 10));
      const served = await run("nbdinfo", ["--size", `nbd://127.0.0.1:${port}/small`]);
      assert.equal(served.code, 0, served.stderr);
      assert.equal(served.stdout.trim(), "10");
    } finally {
      for (const s of held) s.destroy();
      await service.stop(1000);
    }
  });
});
