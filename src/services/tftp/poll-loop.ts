/**
 * A transfer worker's own event loop on the native addon (native-udp.ts):
 * epoll_wait, recv, the transfer's code, send, and nothing else per packet.
 * It is also the TransferSocket factory, the Timers and the Clock of the
 * TftpTransfers it runs, so the transfer code is the same one that runs on
 * node:dgram elsewhere.
 *
 * `run` blocks its thread until `stop` (it is meant for a worker thread that
 * does nothing else). Another thread reaches it through the waker: an eventfd
 * in the same epoll set; `onWake` then drains what was posted (a worker reads
 * its port with receiveMessageOnPort).
 *
 * Per readable socket one datagram is read per turn: epoll is
 * level-triggered, so a second waiting datagram makes the next epoll_wait
 * return at once, and a lock-step transfer pays no recv that returns EAGAIN.
 *
 * Busy polling: while transfers run, the loop polls for up to `busyPollUs`
 * before it sleeps. A lock-step transfer waits for one ACK per block, and a
 * CPU that went idle meanwhile takes tens of microseconds to wake (in a VM
 * whose idle CPUs halt, as many do, it is most of the round trip), so
 * sleeping makes every block slower by that. The poll window adapts the way
 * Linux's halt polling does (nextBusyPollUs): it grows while answers come
 * within `busyPollUs` and falls to 0 while they come later, so clients that
 * answer slowly cost no CPU in polling. Polling yields the CPU between
 * polls; when another task then runs, the CPU is shared, and a sleeper the
 * kernel wakes answers sooner than a poller waiting for its turn: the loop
 * then only sleeps for a while (BUSY_POLL_HOLDOFF_MS).
 */
import type { Clock } from "../../events/event-bus.js";
import { EAGAIN, type NativeUdp } from "./native-udp.js";
import type { Timers } from "./timers.js";
import type { TransferSocket, UdpRemote } from "./udp-socket.js";

/** Longest wait without a due timer, so a stop that was missed still ends the loop. */
const MAX_WAIT_MS = 1000;
/** The biggest UDP payload: nothing longer can arrive. */
const RECEIVE_BYTES = 65536;
/** How long the loop does not busy-poll after another task ran during a poll. */
const BUSY_POLL_HOLDOFF_MS = 10;

/**
 * The next busy-poll window after a wait that ended `waitedUs` after it
 * began, with `currentUs` polled first and `maxUs` the most allowed:
 * unchanged when polling caught the event; doubled (from a quarter of the
 * most) when a longer window would have; halved when even the most would
 * not have, and 0 once that leaves less than an eighth of the most.
 */
export function nextBusyPollUs(currentUs: number, waitedUs: number, maxUs: number): number {
  if (maxUs <= 0) return 0;
  if (waitedUs <= currentUs) return currentUs;
  if (waitedUs <= maxUs) return Math.min(maxUs, Math.max(currentUs * 2, Math.ceil(maxUs / 4)));
  const half = Math.floor(currentUs / 2);
  return half < maxUs / 8 ? 0 : half;
}

interface Timer {
  due: number;
  readonly seq: number;
  fn: (() => void) | null;
}

type MessageListener = (msg: Buffer, rinfo: UdpRemote) => void;
type ErrorListener = (error: Error) => void;

export class PollLoop implements Timers, Clock {
  readonly #udp: NativeUdp;
  readonly #localAddress: string;
  readonly #epfd: number;
  readonly #waker: number;
  readonly #sockets = new Map<number, PollSocket>();
  readonly #ready = new Int32Array(256);
  /** One receive buffer for every socket: a message is valid only during its listener call. */
  readonly #receive = Buffer.allocUnsafe(RECEIVE_BYTES);
  /** Min-heap by (due, seq); cancelled timers stay in it with fn = null. */
  readonly #timers: Timer[] = [];
  #timerSeq = 0;
  #immediates: (() => void)[] = [];
  #stopped = false;
  #disposed = false;
  readonly #busyPollMaxUs: number;
  /** The current busy-poll window (nextBusyPollUs). */
  #busyPollUs: number;
  /** performance.now() before which the loop does not busy-poll (the CPU was shared). */
  #busyPollHoldoff = 0;

  /** `busyPollUs`: the most to poll before sleeping while transfers run (0: never). */
  constructor(udp: NativeUdp, localAddress: string, wakerFd: number, busyPollUs = 0) {
    this.#udp = udp;
    this.#localAddress = localAddress;
    this.#busyPollMaxUs = Math.max(0, Math.floor(busyPollUs));
    this.#busyPollUs = this.#busyPollMaxUs;
    this.#epfd = udp.pollerCreate();
    this.#waker = wakerFd;
    udp.pollerAdd(this.#epfd, wakerFd);
  }

  now(): number {
    return Date.now();
  }

  /** A socket for one transfer, connected to `client`; it is read by this loop. */
  openSocket(client: UdpRemote): TransferSocket {
    const [fd, port] = this.#udp.open(this.#localAddress, client.address, client.port);
    const socket = new PollSocket(this, fd, { address: this.#localAddress, port }, client);
    try {
      this.#udp.pollerAdd(this.#epfd, fd);
    } catch (e) {
      this.#udp.close(fd);
      throw e;
    }
    this.#sockets.set(fd, socket);
    // A new client may answer faster than the last ones: poll fully again.
    this.#busyPollUs = this.#busyPollMaxUs;
    return socket;
  }

  /** @internal PollSocket's calls. */
  send(fd: number, msg: Buffer): number {
    return this.#udp.send(fd, msg);
  }

  /** @internal */
  closeSocket(fd: number): void {
    if (!this.#sockets.delete(fd)) return;
    this.#udp.pollerRemove(this.#epfd, fd);
    this.#udp.close(fd);
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer: Timer = { due: this.now() + Math.max(0, ms), seq: this.#timerSeq++, fn };
    this.#push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    (handle as Timer).fn = null;
  }

  setImmediate(fn: () => void): void {
    this.#immediates.push(fn);
  }

  /** Runs until `stop`; `onWake` runs after the sockets each time the waker fired. */
  run(onWake: () => void): void {
    const ready = this.#ready;
    while (!this.#stopped) {
      this.#runImmediates();
      if (this.#stopped) break;
      const n = this.#wait(ready);
      let woken = false;
      for (let i = 0; i < n; i++) {
        const fd = ready[i]!;
        if (fd === this.#waker) woken = true;
        else this.#sockets.get(fd)?.readable(this.#udp, this.#receive);
      }
      if (woken) {
        this.#udp.wakerDrain(this.#waker);
        onWake();
      }
      this.#runTimers();
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Closes every socket still open and the epoll fd (not the waker: it belongs to whoever made it). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // Through the sockets, so a later send on one fails instead of reaching a reused fd number.
    for (const socket of [...this.#sockets.values()]) socket.close();
    this.#udp.close(this.#epfd);
  }

  /** pollerWait, busy polling first while transfers run (see the file comment). */
  #wait(ready: Int32Array): number {
    const timeout = this.#waitMs();
    if (this.#busyPollMaxUs === 0 || timeout === 0 || this.#sockets.size === 0)
      return this.#udp.pollerWait(this.#epfd, timeout, ready);
    const began = performance.now();
    if (began < this.#busyPollHoldoff) return this.#udp.pollerWait(this.#epfd, timeout, ready);
    if (this.#busyPollUs > 0) {
      const n = this.#udp.pollerSpin(this.#epfd, this.#busyPollUs, ready);
      if (n > 0) return n; // caught while polling: the window stays
      if (n < 0) {
        this.#busyPollUs = 0;
        this.#busyPollHoldoff = began + BUSY_POLL_HOLDOFF_MS;
        return this.#udp.pollerWait(this.#epfd, timeout, ready);
      }
    }
    const n = this.#udp.pollerWait(this.#epfd, timeout, ready);
    const waitedUs = n > 0 ? (performance.now() - began) * 1000 : Number.POSITIVE_INFINITY;
    this.#busyPollUs = nextBusyPollUs(this.#busyPollUs, waitedUs, this.#busyPollMaxUs);
    return n;
  }

  /** The current busy-poll window in microseconds (tests, logs). */
  get busyPollUs(): number {
    return this.#busyPollUs;
  }

  #waitMs(): number {
    if (this.#immediates.length > 0) return 0;
    const next = this.#timers[0];
    if (next === undefined) return MAX_WAIT_MS;
    return Math.min(MAX_WAIT_MS, Math.max(0, next.due - this.now()));
  }

  #runImmediates(): void {
    if (this.#immediates.length === 0) return;
    const batch = this.#immediates;
    this.#immediates = [];
    for (const fn of batch) fn();
  }

  #runTimers(): void {
    const heap = this.#timers;
    if (heap.length === 0) return;
    const now = this.now();
    while (heap.length > 0 && heap[0]!.due <= now) {
      const timer = this.#pop();
      const fn = timer.fn;
      timer.fn = null;
      fn?.();
    }
  }

  #before(a: Timer, b: Timer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  #push(timer: Timer): void {
    const heap = this.#timers;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): Timer {
    const heap = this.#timers;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.#before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && this.#before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** One transfer's connected socket on a PollLoop, shaped like node:dgram's for TftpTransfer. */
class PollSocket implements TransferSocket {
  readonly #loop: PollLoop;
  readonly #fd: number;
  readonly #local: UdpRemote;
  readonly #client: UdpRemote;
  #messageListeners: MessageListener[] = [];
  #errorListeners: ErrorListener[] = [];
  #closed = false;

  constructor(loop: PollLoop, fd: number, local: UdpRemote, client: UdpRemote) {
    this.#loop = loop;
    this.#fd = fd;
    this.#local = local;
    this.#client = client;
  }

  /** Reads one datagram (see the file comment) and hands it to the listeners. */
  readable(udp: NativeUdp, buffer: Buffer): void {
    const n = udp.recv(this.#fd, buffer);
    if (n >= 0) {
      const msg = buffer.subarray(0, n);
      for (const listener of this.#messageListeners) listener(msg, this.#client);
    } else if (n !== EAGAIN) {
      // -ECONNREFUSED: an ICMP port unreachable from the client (it went away).
      const error = new Error(`recv failed (errno ${-n})`) as NodeJS.ErrnoException;
      error.errno = n;
      for (const listener of this.#errorListeners) listener(error);
    }
  }

  send(msg: Buffer, callback?: (error: Error | null, bytes: number) => void): void {
    if (this.#closed) {
      callback?.(new Error("socket is closed"), 0);
      return;
    }
    // A full send buffer (EAGAIN) loses the packet, as a full queue on the
    // path would: the transfer's retransmission timer covers it.
    const n = this.#loop.send(this.#fd, msg);
    if (callback === undefined) return;
    const error = n < 0 && n !== EAGAIN ? new Error(`send failed (errno ${-n})`) : null;
    this.#loop.setImmediate(() => callback(error, Math.max(0, n)));
  }

  on(event: "message", listener: MessageListener): this;
  on(event: "error", listener: ErrorListener): this;
  on(event: "message" | "error", listener: MessageListener | ErrorListener): this {
    if (event === "message")
      this.#messageListeners = [...this.#messageListeners, listener as MessageListener];
    else this.#errorListeners = [...this.#errorListeners, listener as ErrorListener];
    return this;
  }

  off(event: "message", listener: MessageListener): this;
  off(event: "error", listener: ErrorListener): this;
  off(event: "message" | "error", listener: MessageListener | ErrorListener): this {
    if (event === "message") this.#messageListeners = this.#messageListeners.filter((l) => l !== listener);
    else this.#errorListeners = this.#errorListeners.filter((l) => l !== listener);
    return this;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#loop.closeSocket(this.#fd);
  }

  address(): UdpRemote {
    return this.#local;
  }
}
