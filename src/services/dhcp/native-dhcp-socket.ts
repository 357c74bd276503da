/**
 * DHCP sockets on bootfleet's native addon (native/bootfleet_udp.c),
 * described by this file's own small type, for the one case node:dgram
 * handles badly: a flood.
 *
 * node:dgram reads at most 32 datagrams per socket per pass of the event
 * loop, and a pass also runs the handler for a turn of the intake queue
 * (dhcp-intake-queue.ts). Under a flood of DISCOVERs (perfdhcp unpaced sends
 * 40,000 a second) the kernel's receive buffer stays full, and the kernel
 * drops what does not fit: DISCOVERs, but as often the REQUESTs that finish
 * an exchange, which the intake queue would have answered first. Here each
 * wake-up reads everything waiting (up to MAX_PER_WAKE), 64 datagrams per
 * recvmmsg and one call into JavaScript per batch, so the choice of what to
 * drop is the intake queue's. Replies are copied into a batch that leaves
 * with one sendmmsg when the batch is full or at the next pass of the event
 * loop, whichever comes first: under a flood a pass answers a turn of the
 * intake queue (16 exchanges or more), and a system call per reply was a
 * tenth of the serving thread. An idle server's reply waits for one pass
 * (microseconds).
 *
 * Without the addon (or with one built before these calls existed) the
 * service uses node:dgram (dhcp-udp-socket.ts).
 */
import { constants } from "node:os";
import { getSystemErrorName } from "node:util";
import { ipv4ToNumber, numberToIpv4 } from "../../protocols/ipv4-address.js";
import { loadNativeUdp } from "../tftp/native-udp.js";
import { DHCP_RECEIVE_BUFFER_BYTES, type DhcpSocketBinder, type DhcpUdpSocket } from "./dhcp-udp-socket.js";

export interface NativeDatagrams {
  /**
   * A non-blocking UDP socket with SO_REUSEADDR and SO_BROADCAST, bound, with
   * a receive buffer of `receiveBufferBytes` when given (best effort); its
   * fd and port.
   */
  bindUdp(address: string, port: number, receiveBufferBytes?: number): [fd: number, port: number];
  /**
   * Reads up to `meta.length / 3` datagrams (64 at most), datagram i into
   * `buffer` at i * slotSize; meta[3i] its length, meta[3i+1] its IPv4
   * source (host order), meta[3i+2] its source port. How many, or -errno.
   */
  recvBatch(fd: number, buffer: Uint8Array, slotSize: number, meta: Int32Array): number;
  /** Bytes sent, or -errno. `address` is IPv4 in host order. */
  sendTo(fd: number, bytes: Uint8Array, address: number, port: number): number;
  /**
   * sendmmsg of `count` datagrams (64 at most): datagram i is
   * buffer[meta[4i] ..] of length meta[4i+1], to IPv4 meta[4i+2] (host
   * order), port meta[4i+3]. How many were sent (fewer: the next failed;
   * calling again from there tells why), or -errno when the first failed.
   * Absent from an addon built before it: replies then go one by one.
   */
  sendBatch?(fd: number, buffer: Uint8Array, meta: Int32Array, count: number): number;
  /** Calls `onReadable` on this thread's event loop while `fd` is readable, until unwatchReadable. */
  watchReadable(fd: number, onReadable: () => void): unknown;
  unwatchReadable(watcher: unknown): void;
  close(fd: number): void;
}

/** The addon's datagram calls, or null when it is not built or predates them. */
export function loadNativeDatagrams(): NativeDatagrams | null {
  const { udp } = loadNativeUdp();
  const calls = udp as unknown as Partial<NativeDatagrams> | null;
  return calls &&
    typeof calls.bindUdp === "function" &&
    typeof calls.recvBatch === "function" &&
    typeof calls.watchReadable === "function"
    ? (calls as NativeDatagrams)
    : null;
}

/** Room per datagram: more than MAX_DHCP_LENGTH, so that a longer one is seen (and dropped) as oversized. */
const SLOT_BYTES = 2048;
const BATCH = 64;
/** Datagrams read per wake-up at most, so that one flood cannot hold the event loop; the rest wake it again. */
const MAX_PER_WAKE = 1024;
const EAGAIN = "EAGAIN";

/** Room per reply in the send batch: a reply longer than this (none we build) is sent on its own. */
const OUT_SLOT_BYTES = 1536;

type SendCallback = (error: Error | null) => void;
type MessageListener = (msg: Buffer, rinfo: { address: string; port: number }) => void;
type ErrorListener = (error: Error) => void;

export class NativeDhcpSocket implements DhcpUdpSocket {
  readonly #calls: NativeDatagrams;
  readonly #fd: number;
  readonly #address: string;
  readonly #port: number;
  readonly #slots = Buffer.allocUnsafe(SLOT_BYTES * BATCH);
  readonly #meta = new Int32Array(BATCH * 3);
  readonly #onMessage: MessageListener[] = [];
  readonly #onError: ErrorListener[] = [];
  #watcher: unknown = null;
  /** The last source address read, as a number and as text: a relay or a segment's clients repeat one. */
  #lastFrom = -1;
  #lastFromText = "";
  /** Replies waiting for the next sendmmsg: bytes, [offset, length, address, port] each, and their callbacks. */
  readonly #out = Buffer.allocUnsafe(OUT_SLOT_BYTES * BATCH);
  readonly #outMeta = new Int32Array(BATCH * 4);
  readonly #outDone: SendCallback[] = [];
  #flushScheduled: NodeJS.Immediate | null = null;
  /** The last destination sent to, as text and as a number: a relay or a broadcast repeats one. */
  #lastToText = "";
  #lastTo = 0;

  constructor(calls: NativeDatagrams, fd: number, address: string, port: number) {
    this.#calls = calls;
    this.#fd = fd;
    this.#address = address;
    this.#port = port;
    this.#watcher = calls.watchReadable(fd, () => this.#read());
  }

  on(event: "message", listener: MessageListener): this;
  on(event: "error", listener: ErrorListener): this;
  on(event: "message" | "error", listener: MessageListener | ErrorListener): this {
    if (event === "message") this.#onMessage.push(listener as MessageListener);
    else this.#onError.push(listener as ErrorListener);
    return this;
  }

  send(msg: Buffer, port: number, address: string, callback: SendCallback): void {
    if (address !== this.#lastToText) {
      const to = ipv4ToNumber(address);
      if (to === null) {
        callback(new Error(`sendto: not an IPv4 address: ${address}`));
        return;
      }
      this.#lastToText = address;
      this.#lastTo = to;
    }
    if (this.#watcher === null) {
      callback(new Error("sendto: the socket is closed"));
      return;
    }
    if (this.#calls.sendBatch === undefined || msg.length > OUT_SLOT_BYTES) {
      this.#flush();
      const sent = this.#calls.sendTo(this.#fd, msg, this.#lastTo, port);
      callback(sent < 0 ? systemError("sendto", sent) : null);
      return;
    }
    const i = this.#outDone.length;
    msg.copy(this.#out, i * OUT_SLOT_BYTES);
    this.#outMeta[4 * i] = i * OUT_SLOT_BYTES;
    this.#outMeta[4 * i + 1] = msg.length;
    this.#outMeta[4 * i + 2] = this.#lastTo | 0;
    this.#outMeta[4 * i + 3] = port;
    this.#outDone.push(callback);
    if (i + 1 === BATCH) this.#flush();
    else this.#flushScheduled ??= setImmediate(() => this.#flush());
  }

  address(): { address: string; port: number } {
    return { address: this.#address, port: this.#port };
  }

  close(): void {
    if (this.#watcher === null) return;
    this.#flush();
    this.#calls.unwatchReadable(this.#watcher);
    this.#watcher = null;
    this.#calls.close(this.#fd);
  }

  #read(): void {
    for (let total = 0; total < MAX_PER_WAKE && this.#watcher !== null; ) {
      const n = this.#calls.recvBatch(this.#fd, this.#slots, SLOT_BYTES, this.#meta);
      if (n < 0) {
        if (getSystemErrorName(n) !== EAGAIN) this.#fail(systemError("recvmmsg", n));
        return;
      }
      for (let i = 0; i < n; i++) {
        const start = i * SLOT_BYTES;
        const length = this.#meta[3 * i]!;
        // A copy: the slots are read into again, and the decoder keeps views into its datagram.
        const data = Buffer.allocUnsafe(length);
        this.#slots.copy(data, 0, start, start + length);
        const from = this.#meta[3 * i + 1]! >>> 0;
        if (from !== this.#lastFrom) {
          this.#lastFrom = from;
          this.#lastFromText = numberToIpv4(from);
        }
        const rinfo = { address: this.#lastFromText, port: this.#meta[3 * i + 2]! };
        for (const listener of this.#onMessage) listener(data, rinfo);
      }
      if (n < BATCH) return;
      total += n;
    }
  }

  /** Sends the replies waiting, each callback told whether its reply left. */
  #flush(): void {
    if (this.#flushScheduled !== null) clearImmediate(this.#flushScheduled);
    this.#flushScheduled = null;
    const count = this.#outDone.length;
    if (count === 0) return;
    const done = this.#outDone.splice(0);
    const send = this.#calls.sendBatch!;
    for (let i = 0; i < count; ) {
      const meta = i === 0 ? this.#outMeta : this.#outMeta.subarray(4 * i);
      const n = send(this.#fd, this.#out, meta, count - i);
      if (n <= 0) {
        // The reply at i failed: report it and go on with the rest.
        done[i++]!(systemError("sendmmsg", n === 0 ? -constants.errno.EAGAIN : n));
        continue;
      }
      for (const end = i + n; i < end; i++) done[i]!(null);
    }
  }

  #fail(error: Error): void {
    for (const listener of this.#onError) listener(error);
  }
}

function systemError(call: string, negativeErrno: number): Error {
  const code = getSystemErrorName(negativeErrno);
  return Object.assign(new Error(`${call}: ${code}`), { code, errno: negativeErrno, syscall: call });
}

/** Binds DHCP sockets on the addon (same options as dgramBinder: SO_REUSEADDR, SO_BROADCAST). */
export function nativeDhcpBinder(calls: NativeDatagrams): DhcpSocketBinder {
  return async (address, port) => {
    const [fd, bound] = calls.bindUdp(address, port, DHCP_RECEIVE_BUFFER_BYTES);
    return new NativeDhcpSocket(calls, fd, address, bound);
  };
}
