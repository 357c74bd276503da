/**
 * The LeaseBook of a server that shares its pools with others through one
 * PostgreSQL (docs/ha.md): the in-memory index is a cache, every write is a
 * claim the database may refuse, and rows the other servers write flow in
 * as they commit. A SQLite server keeps the plain LeaseBook.
 */
import type { Clock } from "../../events/event-bus.js";
import type { Store } from "../../store/store.js";
import { LeaseBook } from "./lease-book.js";
import { LeaseClaimSink } from "./lease-claim-sink.js";
import type { LeaseClaims } from "./lease-claims.js";

export interface SharedLeaseBookOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly claims: LeaseClaims;
  /** This server's place among the servers sharing the pools (spreads their address searches). */
  readonly share: { readonly index: number; readonly count: number };
}

export class SharedLeaseBook extends LeaseBook {
  readonly #claims: LeaseClaims;

  constructor(options: SharedLeaseBookOptions) {
    super(options.store, options.clock, { sink: new LeaseClaimSink(options.claims), share: options.share });
    this.#claims = options.claims;
  }

  /** Follows the other servers' writes first, then reads the table, so no row falls between the two. */
  override async load(): Promise<number> {
    await this.#claims.follow((rows) => {
      for (const row of rows) this.absorb(row);
    });
    return super.load();
  }
}
