/**
 * One ONC RPC program as the dispatcher sees it: a number, the versions it
 * serves, and a `call` that answers one procedure. Programs read their own
 * arguments (an XdrError there becomes GARBAGE_ARGS) and write their results
 * into the reply the dispatcher sized for them.
 */
import type { AuthSys } from "../../protocols/rpc/auth-sys.js";
import type { RpcReplyBody } from "../../protocols/rpc/rpc-message.js";
import type { XdrWriter } from "../../protocols/xdr/xdr-writer.js";

export interface RpcCallContext {
  /** AUTH_SYS credential; undefined for AUTH_NONE. */
  readonly cred: AuthSys | undefined;
  readonly transport: "tcp" | "udp";
  readonly address: string;
}

export type RpcOutcome =
  | {
      readonly stat: "success";
      /** Bytes the results take, about: the reply buffer is allocated once at that size. */
      readonly size: number;
      /** Writes the results; returns buffers that follow them on the wire, uncopied (a READ's data). */
      readonly write: (w: XdrWriter) => readonly Buffer[] | undefined;
      /** Called once the reply has been sent (or dropped): buffers it used may be reused. */
      readonly release?: (() => void) | undefined;
    }
  | Exclude<RpcReplyBody, { readonly stat: "success" }>;

export interface RpcProgram {
  readonly prog: number;
  readonly lowVersion: number;
  readonly highVersion: number;
  /** Answers procedure `proc`; throws XdrError for malformed arguments. */
  call(proc: number, args: Buffer, ctx: RpcCallContext): Promise<RpcOutcome> | RpcOutcome;
}

/** A success whose results are small and written by `write`. */
export function success(write: (w: XdrWriter) => unknown, size = 256): RpcOutcome {
  return {
    stat: "success",
    size,
    write: (w) => {
      write(w);
      return undefined;
    },
  };
}
