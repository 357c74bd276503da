/**
 * What the simulated machines' firmware does over UDP, on a thread of its
 * own: the PXE ROM's and iPXE's DHCP (dhcp-port.ts) and the ROM's TFTP
 * fetch of iPXE (tftp-fetch.ts). A real machine's firmware waits its 1 s or
 * 4 s for a reply on its own CPU, and answers each TFTP block at once; the
 * simulator plays 1,000 machines' HTTP and NBD on one event loop, and when
 * that loop runs a second behind (a storm of 1,000 on 2 CPUs), replies the
 * server sent at once were read after the firmware's timeout, and lock-step
 * TFTP crawled at one block per loop delay. Here the retransmission
 * schedules and the lock-step run on a loop that does nothing else; the
 * boot learns each outcome later.
 */
import type { Worker } from "node:worker_threads";
import { spawnModuleWorker } from "../../src/services/spawn-module-worker.js";
import type { DhcpLease } from "./dhcp-port.js";
import type { Firmware } from "./firmware-dhcp-packets.js";
import type { TftpFetchOptions } from "./tftp-fetch.js";

/** A request to the thread. */
export type FirmwareAsk =
  | {
      readonly id: number;
      readonly kind: "dhcp";
      readonly firmware: Firmware;
      readonly mac: string;
      readonly timeoutsMs: readonly number[];
    }
  | { readonly id: number; readonly kind: "tftp"; readonly fetch: TftpFetchOptions };

/** What the thread answers, by request id. */
export type FirmwareAnswer =
  | { readonly id: number; readonly value: unknown }
  | { readonly id: number; readonly error: string };

export class FirmwareThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  /** Why the thread is gone: what was asked of it fails, and so does what is asked after. */
  #gone: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on("message", (a: FirmwareAnswer) => {
      const p = this.#pending.get(a.id);
      if (!p) return;
      this.#pending.delete(a.id);
      if ("value" in a) p.resolve(a.value);
      else p.reject(new Error(a.error));
    });
    worker.on("error", (err) => this.#stop(err));
    worker.on("exit", () => this.#stop(new Error("the firmware thread stopped")));
  }

  /** Starts the thread; resolves once its port 68 socket is bound. */
  static open(): Promise<FirmwareThread> {
    const worker = spawnModuleWorker(import.meta.url, "firmware-thread-worker");
    return new Promise((resolve, reject) => {
      worker.once("error", reject);
      worker.once("message", (m: { ready?: boolean; error?: string }) => {
        worker.off("error", reject);
        if (m.ready) resolve(new FirmwareThread(worker));
        else reject(new Error(`the firmware thread could not open port 68: ${m.error}`));
      });
    });
  }

  /** DhcpPort.obtain, run on the thread. */
  obtain(firmware: Firmware, mac: string, timeoutsMs: readonly number[]): Promise<DhcpLease> {
    return this.#ask({ kind: "dhcp", firmware, mac, timeoutsMs }) as Promise<DhcpLease>;
  }

  /** tftpFetch, run on the thread: the bytes received. */
  tftpFetch(fetch: TftpFetchOptions): Promise<number> {
    return this.#ask({ kind: "tftp", fetch }) as Promise<number>;
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }

  #stop(why: Error): void {
    this.#gone ??= why;
    for (const p of this.#pending.values()) p.reject(this.#gone);
    this.#pending.clear();
  }

  #ask(ask: DistributiveOmit<FirmwareAsk, "id">): Promise<unknown> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...ask, id });
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
