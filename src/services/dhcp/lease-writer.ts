/**
 * Group commit for lease writes. Every lease written while one batch of
 * packets is being handled goes to the store in one transaction, and each
 * writer's promise settles when that transaction has committed: an ACK still
 * leaves only after its lease is in the store (durable against kill -9: the
 * SQLite store appends each commit to its WAL with write() before
 * returning), but a burst of N REQUESTs costs one commit instead of N.
 * Batches close at the end of the current macrotask (a microtask), so a lone
 * REQUEST waits for nothing.
 */
import type { LeaseRow, Store } from "../../store/store.js";

interface Pending {
  readonly row: LeaseRow;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class LeaseWriter {
  readonly #store: Store;
  #pending: Pending[] = [];

  constructor(store: Store) {
    this.#store = store;
  }

  write(row: LeaseRow): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) queueMicrotask(() => this.#flush());
      this.#pending.push({ row, resolve, reject });
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    this.#store.putLeases(batch.map((p) => p.row)).then(
      () => {
        for (const p of batch) p.resolve();
      },
      (err) => {
        for (const p of batch) p.reject(err);
      },
    );
  }
}
