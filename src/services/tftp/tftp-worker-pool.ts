/**
 * Runs transfers on a few worker threads (see TftpServiceDeps.transferWorkers
 * for why). Each transfer goes to the worker with the fewest running; a
 * worker that dies ends its transfers as failed and is replaced.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "../../logging/logger.js";
import type { TransferSummary } from "./tftp-transfer.js";
import type { TransferCallbacks, TransferHandle, TransferRunner, TransferSpec } from "./transfer-runner.js";

export type ToWorker =
  | { readonly t: "start"; readonly id: number; readonly spec: TransferSpec }
  | { readonly t: "repeat"; readonly id: number; readonly seq: number }
  | { readonly t: "abort"; readonly id: number; readonly message: string };

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
  /** False from a worker's death until its replacement is up. */
  alive: boolean;
  readonly callbacks: Map<number, TransferCallbacks>;
  readonly pending: Map<number, Pending>;
  /** Answers awaited for repeated RRQs, by sequence number. */
  readonly repeats: Map<number, (alive: boolean) => void>;
}

/** Where the worker's code is: the .js beside this file, or the .ts when run through tsx (tests). */
function spawnWorker(localAddress: string): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts"))
    return new Worker(new URL("./tftp-transfer-worker.js", here), { workerData: { localAddress } });
  // Node 20 does not pass --import hooks to workers: register tsx first.
  const target = new URL("./tftp-transfer-worker.ts", here).href;
  const tsx = tsxEsmApi(here);
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
  return new Worker(code, { eval: true, workerData: { localAddress } });
}

/** tsx's ESM API (the `import` condition of "tsx/esm/api"), found from this file. */
function tsxEsmApi(from: string): string {
  const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
  if (typeof resolve === "function") return resolve("tsx/esm/api");
  const pkg = createRequire(from).resolve("tsx/package.json");
  return pathToFileURL(join(dirname(pkg), "dist", "esm", "api", "index.mjs")).href;
}

/** A copy of `body` that can be posted: shared memory is shared, anything else copied to its exact size. */
function postable(body: Uint8Array): Uint8Array {
  return body.buffer instanceof SharedArrayBuffer ? body : new Uint8Array(body);
}

export class TftpWorkerPool implements TransferRunner {
  readonly #slots: Slot[] = [];
  readonly #localAddress: string;
  readonly #log: Logger;
  #nextId = 1;
  #closed = false;

  constructor(count: number, localAddress: string, logger: Logger) {
    this.#localAddress = localAddress;
    this.#log = logger;
    for (let i = 0; i < count; i++) {
      const slot: Slot = {
        worker: null as unknown as Worker,
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
    const worker = spawnWorker(this.#localAddress);
    slot.worker = worker;
    slot.alive = true;
    // The listening socket keeps the process alive while the service runs.
    worker.unref();
    worker.on("message", (m: FromWorker) => this.#message(slot, m));
    worker.on("error", (e) => this.#log.error({ err: e.message }, "tftp: transfer worker failed"));
    worker.on("exit", (code) => {
      if (slot.worker !== worker) return;
      slot.alive = false;
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
              slot.worker.postMessage({ t: "repeat", id: m.id, seq } satisfies ToWorker);
            }),
          abort: (message) => slot.worker.postMessage({ t: "abort", id: m.id, message } satisfies ToWorker),
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
      chosen.worker.postMessage({
        t: "start",
        id,
        spec: { ...spec, source, oack: spec.oack === null ? null : new Uint8Array(spec.oack) },
      } satisfies ToWorker);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) void slot.worker.terminate();
  }
}
