/**
 * The simulated machines' firmware DHCP (dhcp-port.ts) on a thread of its
 * own. A real machine's PXE ROM or iPXE waits its 1 s or 4 s for a reply on
 * its own CPU; the simulator plays 1,000 machines' TFTP, HTTP and NBD on one
 * event loop, and when that loop runs seconds behind (a storm of 1,000 on 2
 * CPUs), replies the server sent at once are read after the firmware's
 * timeout, and the machine gives up on an answer it had. Here the
 * retransmission schedule runs on a loop that does nothing else; the boot
 * only learns the outcome later.
 */
import { Worker } from "node:worker_threads";
import type { DhcpLease } from "./dhcp-port.js";
import type { Firmware } from "./firmware-dhcp-packets.js";

/** What the thread answers: a lease or why there is none, by request id. */
type Answer =
  | { readonly id: number; readonly lease: DhcpLease }
  | { readonly id: number; readonly error: string };

export class DhcpThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (l: DhcpLease) => void; reject: (e: Error) => void }>();
  #nextId = 0;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on("message", (a: Answer) => {
      const p = this.#pending.get(a.id);
      if (!p) return;
      this.#pending.delete(a.id);
      if ("lease" in a) p.resolve(a.lease);
      else p.reject(new Error(a.error));
    });
    worker.on("error", (err) => {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    });
  }

  /** Starts the thread; resolves once its port 68 socket is bound. */
  static open(): Promise<DhcpThread> {
    // `--import tsx` registers its loader for this thread only: the worker
    // registers it again before it loads its TypeScript.
    const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
    const file = JSON.stringify(new URL("./dhcp-thread-worker.ts", import.meta.url).href);
    const worker = new Worker(`import(${tsx}).then((api) => { api.register(); return import(${file}); })`, {
      eval: true,
    });
    return new Promise((resolve, reject) => {
      worker.once("error", reject);
      worker.once("message", (m: { ready?: boolean; error?: string }) => {
        worker.off("error", reject);
        if (m.ready) resolve(new DhcpThread(worker));
        else reject(new Error(`the DHCP thread could not open port 68: ${m.error}`));
      });
    });
  }

  /** DhcpPort.obtain, run on the thread. */
  obtain(firmware: Firmware, mac: string, timeoutsMs: readonly number[]): Promise<DhcpLease> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, firmware, mac, timeoutsMs });
    });
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}
