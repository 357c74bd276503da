import type { LeaseRow } from "../../store/store.js";

/** What the shared table said about one row of a claim. */
export type ClaimOutcome =
  | { readonly written: true }
  | { readonly written: false; readonly holder: LeaseRow | null };

/**
 * The lease table several servers share, as the DHCP service sees it
 * (src/store/postgres/postgres-lease-claims.ts implements it; the service
 * never loads a database driver itself).
 */
export interface LeaseClaims {
  /**
   * Writes each row unless another MAC holds its address (a running binding
   * or decline quarantine); one outcome per row, in order.
   */
  claim(rows: readonly LeaseRow[]): Promise<readonly ClaimOutcome[]>;
  /** Deletes the row of `row.mac` at `row.ip`, if it is still that MAC's. */
  forget(row: LeaseRow): Promise<void>;
  /** Starts passing the rows other servers write to `onRows`. */
  follow(onRows: (rows: readonly LeaseRow[]) => void): Promise<void>;
  close(): Promise<void>;
}
