/**
 * The LeaseBook's writes when several servers share the lease table: rows
 * are claimed in group commits, as lease-writer.ts writes them (one
 * statement per event-loop turn, each writer's promise settled by it), and
 * a row the table refuses rejects with LeaseTakenError naming the holder.
 */
import type { LeaseRow } from "../../store/store.js";
import type { LeaseSink } from "./lease-book.js";
import type { LeaseClaims } from "./lease-claims.js";
import { LeaseTakenError } from "./lease-taken-error.js";

interface Pending {
  readonly row: LeaseRow;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class LeaseClaimSink implements LeaseSink {
  readonly #claims: LeaseClaims;
  #pending: Pending[] = [];

  constructor(claims: LeaseClaims) {
    this.#claims = claims;
  }

  write(row: LeaseRow): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) queueMicrotask(() => this.#flush());
      this.#pending.push({ row, resolve, reject });
    });
  }

  forget(row: LeaseRow): Promise<void> {
    return this.#claims.forget(row);
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    this.#claims.claim(batch.map((p) => p.row)).then(
      (outcomes) => {
        batch.forEach((p, i) => {
          const o = outcomes[i];
          if (o?.written) p.resolve();
          else p.reject(new LeaseTakenError(p.row.ip, o?.holder ?? null));
        });
      },
      (err) => {
        for (const p of batch) p.reject(err);
      },
    );
  }
}
