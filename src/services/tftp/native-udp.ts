/**
 * bootfleet's own native addon (native/bootfleet_udp.c): the UDP and epoll
 * system calls a transfer worker needs to run its own loop (poll-loop.ts).
 *
 * Why: a lock-step TFTP transfer is one datagram in, one out, per block, so
 * its speed is the cost of one turn of the receiving loop. Through libuv and
 * node:dgram a turn is epoll_wait, recvmsg into a fresh 64 KiB buffer, the
 * C++ to JS callback and EventEmitter, the send wrapper, and a second recvmsg
 * that returns EAGAIN; measured, that put every lock-step transfer 10-20%
 * below tftpd-hpa, even for a bare 15-line sender. With these calls a worker
 * thread does epoll_wait, recv and send, as in.tftpd does, and runs the same
 * TftpTransfer code; pollerSpin lets it poll for the next ACK instead of
 * sleeping (poll-loop.ts says why). The addon holds no protocol logic.
 *
 * It is optional: `npm start`/`npm test` build it with node-gyp (about a
 * second); without a C compiler the workers fall back to node:dgram.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface NativeUdp {
  /** Non-blocking UDP socket bound to `localAddress` (kernel-picked port), connected to the client. */
  open(localAddress: string, clientAddress: string, clientPort: number): [fd: number, localPort: number];
  /** Bytes sent, or -errno (-11 EAGAIN: the send buffer is full; the packet counts as lost). */
  send(fd: number, bytes: Uint8Array): number;
  /** Bytes received into `buffer`, or -errno (-11 EAGAIN: nothing waiting; -111: the client's port is closed). */
  recv(fd: number, buffer: Uint8Array): number;
  close(fd: number): void;
  pollerCreate(): number;
  pollerAdd(epfd: number, fd: number): void;
  pollerRemove(epfd: number, fd: number): void;
  /** Waits up to `timeoutMs` (-1: no limit); writes the readable fds to `out` and returns how many. */
  pollerWait(epfd: number, timeoutMs: number, out: Int32Array): number;
  /**
   * Polls without sleeping for up to `spinUs` microseconds, yielding the CPU
   * between polls: the readable fds in `out` and how many, 0 when none
   * became readable, or -1 when a yield ran another task (the CPU is
   * shared, so sleeping is better).
   */
  pollerSpin(epfd: number, spinUs: number, out: Int32Array): number;
  /** An eventfd another thread can `wake` to end a pollerWait. */
  wakerCreate(): number;
  wake(fd: number): void;
  wakerDrain(fd: number): void;
}

/** recv/send's "nothing waiting" / "send buffer full", as the addon returns it. */
export const EAGAIN = -constants.errno.EAGAIN;

/** The addon's path: native/build/Release/ of the package, from src/ (tsx) or dist/src/ (built). */
export function nativeUdpPath(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "native", "build", "Release", "bootfleet_udp.node");
    if (existsSync(candidate)) return candidate;
    if (existsSync(join(dir, "package.json"))) return null;
    dir = dirname(dir);
  }
  return null;
}

let loaded: { udp: NativeUdp | null; reason: string } | undefined;

/** The addon, or null with the reason it could not be loaded (for the log line). */
export function loadNativeUdp(): { udp: NativeUdp | null; reason: string } {
  if (loaded !== undefined) return loaded;
  if (process.platform !== "linux") {
    loaded = { udp: null, reason: "the native TFTP I/O uses epoll and eventfd, which only Linux has" };
    return loaded;
  }
  const path = nativeUdpPath();
  if (path === null) {
    loaded = {
      udp: null,
      reason: "native/build/Release/bootfleet_udp.node is not built (run: npm run build:native)",
    };
    return loaded;
  }
  try {
    loaded = { udp: createRequire(import.meta.url)(path) as NativeUdp, reason: "" };
  } catch (e) {
    loaded = {
      udp: null,
      reason: `${path} did not load (${(e as Error).message}); rebuild it: npm run build:native`,
    };
  }
  return loaded;
}
