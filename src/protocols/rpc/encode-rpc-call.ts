/**
 * Encodes a call header as a client sends it (RFC 5531 section 9). The
 * server never calls out; tests and benchmarks use this to talk to it, so
 * the server's decoder is checked against an independent writer.
 */
import type { XdrWriter } from "../xdr/xdr-writer.js";
import { AUTH_NONE, MSG_CALL, RPC_VERSION } from "./rpc-constants.js";
import type { OpaqueAuth } from "./rpc-message.js";

export interface RpcCallHeader {
  readonly xid: number;
  readonly prog: number;
  readonly vers: number;
  readonly proc: number;
  /** Default AUTH_NONE. */
  readonly cred?: OpaqueAuth | undefined;
}

const NONE: OpaqueAuth = { flavor: AUTH_NONE, body: Buffer.alloc(0) };

/** The header; the caller writes the arguments after it. */
export function encodeRpcCall(w: XdrWriter, call: RpcCallHeader): XdrWriter {
  const cred = call.cred ?? NONE;
  return w
    .uint32(call.xid)
    .uint32(MSG_CALL)
    .uint32(RPC_VERSION)
    .uint32(call.prog)
    .uint32(call.vers)
    .uint32(call.proc)
    .uint32(cred.flavor)
    .opaque(cred.body)
    .uint32(NONE.flavor)
    .opaque(NONE.body);
}
