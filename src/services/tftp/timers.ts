/** Timers handed to the TFTP service, so tests can drive retransmission by hand. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Runs `fn` after the I/O callbacks already due (node's setImmediate). */
  setImmediate(fn: () => void): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setImmediate: (fn) => {
    setImmediate(fn);
  },
};
