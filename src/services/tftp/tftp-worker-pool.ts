/**
 * Runs transfers on a few worker threads (see TftpServiceDeps.transferWorkers
 * for why). Each transfer goes to the worker with the fewest running; a
 * worker that dies ends its transfers as failed and is replaced.
 *
 * Given the native addon, the workers run their own loop on it
 * (tftp-native-worker.ts); each then has an eventfd, written after every
 * message so that its epoll_wait returns and it reads the message.
 * Otherwise they run on libuv and node:dgram (tftp-transfer-worker.ts).
 */
import type { Worker } from "node:worker_threads";
import type { Logger } from "../../logging/logger.js";
import { spawnModuleWorker } from "../spawn-module-worker.js";
import type { NativeUdp } from "./native-udp.js";
import type { TransferSummary } from "./tftp-transfer.js";
import type { TransferCallbacks, TransferHandle, TransferRunner, TransferSpec } from "./transfer-runner.js";

export type ToWorker =
  | { readonly t: "start"; readonly id: number; readonly spec: TransferSpec }
  | { readonly t: "repeat"; readonly id: number; readonly seq: number }
  | { readonly t: "abort"; readonly id: number; readonly message: string }
  /** Native workers only: end the loop, abort what runs, close the sockets, exit. */
  | { readonly t: "close" };

type FromWorker =
  | { readonly t: "started"; readonly id: number }
  | { readonly t: "repeated"; readonly id: number; readonly seq: number; readonly alive: boolean }
  | { readonly t: "refused"; readonly id: number; readonly message: string; readonly code?: string }
  | { readonly t: "end"; readonly id: number; readonly summary: TransferSummary }
  | {
      readonly t: "note";
      readonly id: number;
      readonly note: string;
      readonly detail: Record<string, unknown>;
    };

interface Pending {
  readonly resolve: (h: TransferHandle) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** The native worker's eventfd, or -1 for a libuv worker. */
  readonly waker: number;
  /** False from a worker's death until its replacement is up. */
  alive: boolean;
  readonly callbacks: Map<number, TransferCallbacks>;
  readonly pending: Map<number, Pending>;
  /** Answers awaited for repeated RRQs, by sequence number. */
  readonly repeats: Map<number, (alive: boolean) => void>;
}

/** A copy of `body` that can be posted: shared memory is shared, anything else copied to its exact size. */
function postable(body: Uint8Array): Uint8Array {
  return body.buffer instanceof SharedArrayBuffer ? body : new Uint8Array(body);
}

export class TftpWorkerPool implements TransferRunner {
  readonly #slots: Slot[] = [];
  readonly #localAddress: string;
  readonly #log: Logger;
  readonly #native: NativeUdp | null;
  readonly #busyPollUs: number;
  #nextId = 1;
  #closed = false;

  /**
   * `native`: run the workers' own loops on the addon (null: libuv workers);
   * `busyPollUs`: how long those loops poll before sleeping (PollLoop).
   */
  constructor(
    count: number,
    localAddress: string,
    logger: Logger,
    native: NativeUdp | null = null,
    busyPollUs = 0,
  ) {
    this.#localAddress = localAddress;
    this.#log = logger;
    this.#native = native;
    this.#busyPollUs = busyPollUs;
    for (let i = 0; i < count; i++) {
      const slot: Slot = {
        worker: null as unknown as Worker,
        waker: native === null ? -1 : native.wakerCreate(),
        alive: false,
        callbacks: new Map(),
        pending: new Map(),
        repeats: new Map(),
      };
      this.#attach(slot);
      this.#slots.push(slot);
    }
  }

  #attach(slot: Slot): void {
    const worker =
      slot.waker < 0
        ? spawnModuleWorker(import.meta.url, "tftp-transfer-worker", { localAddress: this.#localAddress })
        : spawnModuleWorker(import.meta.url, "tftp-native-worker", {
            localAddress: this.#localAddress,
            wakerFd: slot.waker,
            busyPollUs: this.#busyPollUs,
          });
    slot.worker = worker;
    slot.alive = true;
    // The listening socket keeps the process alive while the service runs.
    worker.unref();
    worker.on("message", (m: FromWorker) => this.#message(slot, m));
    worker.on("error", (e) => this.#log.error({ err: e.message }, "tftp: transfer worker failed"));
    worker.on("exit", (code) => {
      if (slot.worker !== worker) return;
      slot.alive = false;
      if (this.#closed && slot.waker >= 0) this.#native!.close(slot.waker);
      for (const [id, p] of slot.pending) {
        slot.pending.delete(id);
        p.reject(new Error(`transfer worker exited (${code})`));
      }
      for (const [seq, r] of slot.repeats) {
        slot.repeats.delete(seq);
        r(false);
      }
      for (const [id, cb] of slot.callbacks) {
        slot.callbacks.delete(id);
        cb.onEnd({
          result: this.#closed
            ? { kind: "aborted", message: "server stopping" }
            : { kind: "failed", message: `transfer worker exited (${code})` },
          bytes: 0,
          durationMs: 0,
          retransmits: 0,
        });
      }
      // Replace it, not in a tight loop if it cannot even start.
      if (!this.#closed)
        setTimeout(() => {
          if (!this.#closed) this.#attach(slot);
        }, 1000).unref();
    });
  }

  #message(slot: Slot, m: FromWorker): void {
    switch (m.t) {
      case "started": {
        const p = slot.pending.get(m.id);
        slot.pending.delete(m.id);
        p?.resolve({
          stillRunning: () =>
            new Promise<boolean>((resolve) => {
              const seq = this.#nextId++;
              slot.repeats.set(seq, resolve);
              this.#post(slot, { t: "repeat", id: m.id, seq });
            }),
          abort: (message) => this.#post(slot, { t: "abort", id: m.id, message }),
        });
        break;
      }
      case "repeated": {
        const r = slot.repeats.get(m.seq);
        slot.repeats.delete(m.seq);
        r?.(m.alive);
        break;
      }
      case "refused": {
        const p = slot.pending.get(m.id);
        slot.pending.delete(m.id);
        slot.callbacks.delete(m.id);
        const e = new Error(m.message) as NodeJS.ErrnoException;
        if (m.code !== undefined) e.code = m.code;
        p?.reject(e);
        break;
      }
      case "end": {
        const cb = slot.callbacks.get(m.id);
        slot.callbacks.delete(m.id);
        cb?.onEnd(m.summary);
        break;
      }
      case "note":
        slot.callbacks.get(m.id)?.onNote(m.note, m.detail);
        break;
    }
  }

  start(spec: TransferSpec, callbacks: TransferCallbacks): Promise<TransferHandle> {
    if (this.#closed) return Promise.reject(new Error("transfer workers stopped"));
    let slot: Slot | undefined;
    for (const s of this.#slots)
      if (s.alive && (slot === undefined || s.callbacks.size < slot.callbacks.size)) slot = s;
    if (slot === undefined) return Promise.reject(new Error("no transfer worker is running"));
    const chosen = slot;
    const id = this.#nextId++;
    const source =
      spec.source.kind === "buffer" ? { ...spec.source, body: postable(spec.source.body) } : spec.source;
    return new Promise<TransferHandle>((resolve, reject) => {
      chosen.pending.set(id, { resolve, reject });
      chosen.callbacks.set(id, callbacks);
      this.#post(chosen, {
        t: "start",
        id,
        spec: { ...spec, source, oack: spec.oack === null ? null : new Uint8Array(spec.oack) },
      });
    });
  }

  #post(slot: Slot, message: ToWorker): void {
    slot.worker.postMessage(message);
    if (slot.waker >= 0) this.#native!.wake(slot.waker);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) {
      if (slot.waker < 0 || !slot.alive) {
        void slot.worker.terminate();
        if (slot.waker >= 0 && !slot.alive) this.#native!.close(slot.waker);
        continue;
      }
      // Let it close its sockets itself; terminate only one that does not.
      this.#post(slot, { t: "close" });
      const worker = slot.worker;
      setTimeout(() => void worker.terminate(), 5000).unref();
    }
  }
}
