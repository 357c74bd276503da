/**
 * One log line per flood, not one per packet. Where a peer decides how often
 * a line is written (an RRQ for a missing file, a malformed datagram, a
 * refused connection), a hostile or broken client could otherwise fill the
 * disk and drown the lines that matter.
 *
 * Each source (usually the peer's address) gets `burst` lines per window;
 * what comes after is counted, and when the window ends one summary line
 * says how many there were: "480 requests for missing files from
 * 198.18.20.9 in the last 10 s". While the flood lasts, one summary per
 * window follows and nothing else; a window without a line from the source
 * ends the flood, and its next line is written again.
 *
 * The callers publish their events through the same decision (`log`
 * returns whether the line went out, `onSummary` gets each summary), so the
 * event store is bounded the same way as the log.
 */
import type { Logger } from "./logger.js";

export interface FloodSummary {
  /** The source the lines came from, or OTHER_SOURCES when too many sources flooded at once. */
  readonly source: string;
  /** Lines counted and not written in the window. */
  readonly count: number;
  readonly windowMs: number;
  /** The fields of the last line counted, e.g. which file was asked for last. */
  readonly last: Readonly<Record<string, unknown>>;
}

export interface RateLimitedLogOptions {
  readonly logger: Logger;
  readonly level?: "debug" | "info" | "warn" | "error" | undefined;
  /** What is counted, in the plural, for the summary: "requests for missing files". */
  readonly what: string;
  /** Lines written per source and window before counting starts (default 1). */
  readonly burst?: number | undefined;
  /** Default 10 s. */
  readonly windowMs?: number | undefined;
  /**
   * Sources tracked at once (default 64): spoofed source addresses must
   * neither grow the table nor multiply the lines; beyond, all further
   * sources share one more entry.
   */
  readonly maxSources?: number | undefined;
  /**
   * The summary line; default "<count> <what> from <source> in the last <seconds> s".
   * For sources that are not senders (a fault's name, say).
   */
  readonly summary?: ((count: number, source: string, seconds: number) => string) | undefined;
  /** Called with each summary after its line is written (e.g. to publish one event for the flood). */
  readonly onSummary?: ((summary: FloodSummary) => void) | undefined;
}

/** The source that stands for every source beyond `maxSources`. */
export const OTHER_SOURCES = "other sources";

interface SourceWindow {
  readonly startedAt: number;
  written: number;
  counted: number;
  last: Readonly<Record<string, unknown>>;
  timer: NodeJS.Timeout;
}

export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #level: "debug" | "info" | "warn" | "error";
  readonly #burst: number;
  readonly #windowMs: number;
  readonly #maxSources: number;
  readonly #summary: (count: number, source: string, seconds: number) => string;
  readonly #onSummary: ((summary: FloodSummary) => void) | undefined;
  readonly #windows = new Map<string, SourceWindow>();

  constructor(options: RateLimitedLogOptions) {
    this.#logger = options.logger;
    this.#level = options.level ?? "warn";
    this.#burst = Math.max(1, options.burst ?? 1);
    this.#windowMs = Math.max(1, options.windowMs ?? 10_000);
    this.#maxSources = Math.max(1, options.maxSources ?? 64);
    const what = options.what;
    this.#summary =
      options.summary ??
      ((count, source, seconds) => `${count} ${what} from ${source} in the last ${seconds} s`);
    this.#onSummary = options.onSummary;
  }

  /** Writes the line, or counts it when `source` has had its burst in this window. True when written. */
  log(source: string, obj: Readonly<Record<string, unknown>>, msg: string): boolean {
    const key = this.#windows.has(source) || this.#windows.size < this.#maxSources ? source : OTHER_SOURCES;
    let w = this.#windows.get(key);
    if (w === undefined) {
      w = { startedAt: Date.now(), written: 0, counted: 0, last: obj, timer: this.#schedule(key) };
      this.#windows.set(key, w);
    }
    if (w.written < this.#burst) {
      w.written++;
      this.#logger[this.#level]({ ...obj }, msg);
      return true;
    }
    w.counted++;
    w.last = obj;
    return false;
  }

  /** Sources with an open window (for tests and metrics). */
  get sources(): number {
    return this.#windows.size;
  }

  /** Writes the pending summaries now and stops the timers (the service is stopping). */
  close(): void {
    for (const [source, w] of this.#windows) {
      clearTimeout(w.timer);
      if (w.counted > 0) this.#summarise(source, w.counted, Date.now() - w.startedAt, w.last);
    }
    this.#windows.clear();
  }

  #schedule(source: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.#endWindow(source), this.#windowMs);
    // A pending summary is no reason to keep the process alive.
    timer.unref();
    return timer;
  }

  #endWindow(source: string): void {
    const w = this.#windows.get(source);
    if (w === undefined) return;
    if (w.counted === 0) {
      this.#windows.delete(source);
      return;
    }
    this.#summarise(source, w.counted, this.#windowMs, w.last);
    // The flood goes on: the next window only counts, so a flood that lasts
    // writes one line per window.
    this.#windows.set(source, {
      startedAt: Date.now(),
      written: this.#burst,
      counted: 0,
      last: w.last,
      timer: this.#schedule(source),
    });
  }

  #summarise(source: string, count: number, windowMs: number, last: Readonly<Record<string, unknown>>): void {
    const seconds = Math.max(1, Math.round(windowMs / 1000));
    this.#logger[this.#level](
      { ...last, source, count, window_s: seconds },
      this.#summary(count, source, seconds),
    );
    this.#onSummary?.({ source, count, windowMs, last });
  }
}
