import type { LeaseRow } from "../../store/store.js";

/**
 * The shared lease table refused a write: another MAC holds the address (a
 * running binding or decline quarantine written by another server). The
 * exchange answers NAK (RFC 2131 §4.3.2: the requested address is in use).
 */
export class LeaseTakenError extends Error {
  readonly ip: string;
  /** The row that holds the address, when the arbiter could read it back. */
  readonly holder: LeaseRow | null;

  constructor(ip: string, holder: LeaseRow | null) {
    super(`address ${ip} is held by ${holder?.mac ?? "another machine"}`);
    this.name = "LeaseTakenError";
    this.ip = ip;
    this.holder = holder;
  }
}
