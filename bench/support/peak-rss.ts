/**
 * The largest resident memory a server's process tree held during a run,
 * sampled from /proc/PID/status (VmRSS of each process, summed) every
 * `intervalMs`. Per-process VmHWM would miss forked children that exit
 * between samples and cannot sum a tree at one moment.
 */
import { readFileSync } from "node:fs";
import { processTree } from "./cpu-seconds.js";

export class PeakRss {
  readonly #roots: readonly number[];
  readonly #timer: NodeJS.Timeout;
  #peak = 0;

  constructor(roots: readonly number[], intervalMs = 250) {
    this.#roots = roots;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  /** Stops sampling; the peak in bytes. */
  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    return this.#peak;
  }

  #sample(): void {
    let kb = 0;
    for (const root of this.#roots) {
      for (const pid of processTree(root)) {
        try {
          const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
          kb += Number(m?.[1] ?? 0);
        } catch {}
      }
    }
    this.#peak = Math.max(this.#peak, kb * 1024);
  }
}
