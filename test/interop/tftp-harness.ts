/**
 * Shared by the TFTP interop tests: a bootfleet TFTP server on 127.0.0.1 (a
 * port the kernel picks), real Debian clients run as child processes, and a
 * raw UDP client for requests no client would send.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { type BootEvent, EventBus } from "../../src/events/event-bus.js";
import { MemoryLogger } from "../../src/logging/logger.js";
import { dgramTransferSocketFactory } from "../../src/services/tftp/dgram-transfer-socket-factory.js";
import { loadNativeUdp, type NativeUdp } from "../../src/services/tftp/native-udp.js";
import { DEFAULT_BUSY_POLL_US } from "../../src/config/config-schema.js";
import { TftpService, type TftpServiceOptions } from "../../src/services/tftp/tftp-service.js";
import type { GeneratedFile } from "../../src/boot/boot-planner.js";
import { waitUntil } from "../support/wait-until.js";

export const LOOPBACK = "127.0.0.1";

export interface TestServer {
  readonly port: number;
  readonly service: TftpService;
  readonly events: BootEvent[];
  readonly log: MemoryLogger;
  close(): Promise<void>;
}

export async function startServer(
  root: string,
  options: Partial<TftpServiceOptions> = {},
  generated: (path: string) => GeneratedFile | null = () => null,
  /** Run transfers on this many worker threads (0: in the service's thread). */
  workers = 0,
  /**
   * The workers' I/O: "node" runs them on libuv and node:dgram, "native" on
   * their own epoll loop through native/bootfleet_udp (part of the build: a
   * missing addon fails the test), busy polling as serve does by default.
   */
  io: "node" | "native" = "node",
): Promise<TestServer> {
  let native: NativeUdp | null = null;
  if (io === "native") {
    assert.ok(workers > 0, "native I/O is for transfer workers: give a worker count");
    const loaded = loadNativeUdp();
    if (loaded.udp === null) assert.fail(`native TFTP workers: ${loaded.reason}`);
    native = loaded.udp;
  }
  const socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, LOOPBACK, () => resolve());
  });
  const bus = new EventBus();
  const events: BootEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const log = new MemoryLogger();
  const service = new TftpService({
    socket,
    createTransferSocket: dgramTransferSocketFactory(LOOPBACK),
    // Native workers busy-poll as `bootfleet serve` runs them by default.
    transferWorkers:
      workers > 0
        ? {
            count: workers,
            localAddress: LOOPBACK,
            native,
            busyPollUs: native === null ? 0 : DEFAULT_BUSY_POLL_US,
          }
        : undefined,
    root,
    options,
    planner: { generatedFile: async (path) => generated(path) },
    bus,
    logger: log,
  });
  service.start();
  return {
    port: socket.address().port,
    service,
    events,
    log,
    close: async () => {
      service.close();
      await new Promise<void>((r) => socket.close(() => r()));
    },
  };
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a client without blocking the event loop (the server is in this process). */
export function run(
  cmd: string,
  args: readonly string[],
  timeoutMs = 300_000,
  cwd?: string,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The three clients, each as "fetch remote into local". */
export const clients = {
  /** tftp-hpa sends no options at all (RFC 1350 only). */
  tftpHpa: (port: number, remote: string, local: string, mode: "octet" | "netascii" = "octet") =>
    run("tftp", ["-l", "-m", mode, LOOPBACK, String(port), "-c", "get", remote, local]),
  atftp: (port: number, remote: string, local: string, options: readonly string[] = []) =>
    run("atftp", [
      "-g",
      "-r",
      remote,
      "-l",
      local,
      ...options.flatMap((o) => ["--option", o]),
      LOOPBACK,
      String(port),
    ]),
  curl: (port: number, remote: string, local: string, args: readonly string[] = []) =>
    run("curl", ["-sS", "--max-time", "600", "-o", local, ...args, `tftp://${LOOPBACK}:${port}/${remote}`]),
};

export interface Exchanged {
  readonly msg: Buffer;
  readonly from: number;
}

/**
 * Sends one datagram from a fresh port and returns what came back once
 * `settled(got, localPort)` holds: the first answer, or a sign that the
 * server handled the datagram without answering (its log line naming the
 * port). Fails when that never comes.
 */
export async function exchange(
  port: number,
  packet: Buffer,
  settled: (got: readonly Exchanged[], localPort: number) => boolean = (got) => got.length > 0,
): Promise<Exchanged[]> {
  const socket: Socket = createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, LOOPBACK, () => r()));
  const localPort = socket.address().port;
  const got: Exchanged[] = [];
  socket.on("message", (msg, rinfo) => got.push({ msg, from: rinfo.port }));
  try {
    socket.send(packet, port, LOOPBACK);
    await waitUntil(() => settled(got, localPort), "the server's answer or its drop");
    return got;
  } finally {
    socket.close();
  }
}

/** Deterministic bytes (a counter through a xorshift), so a failure can be reproduced. */
export function pseudoRandom(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed | 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeInt32LE(x, i);
  }
  for (; i < size; i++) b[i] = i & 0xff;
  return b;
}
