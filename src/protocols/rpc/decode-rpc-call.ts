/**
 * Decodes one ONC RPC message a client sends (RFC 5531 section 9): the call
 * header, its credential and verifier, and the argument bytes after them.
 * A message too short for a header, a REPLY where a CALL belongs, or an
 * opaque_auth over 400 bytes raises XdrError; a call of another RPC version
 * is returned as such, since it must be answered RPC_MISMATCH with its xid.
 */
import { XdrError } from "../xdr/xdr-error.js";
import { XdrReader } from "../xdr/xdr-reader.js";
import { MAX_AUTH_BYTES, MSG_CALL, RPC_VERSION } from "./rpc-constants.js";
import type { OpaqueAuth, RpcCall, RpcVersionMismatch } from "./rpc-message.js";

/** xid, mtype, rpcvers, prog, vers, proc, two opaque_auth of flavor + length: 40 bytes at least. */
export const MIN_CALL_BYTES = 40;

export function decodeRpcCall(buf: Buffer): RpcCall | RpcVersionMismatch {
  if (buf.length < MIN_CALL_BYTES) {
    throw new XdrError(`RPC call of ${buf.length} bytes, shorter than the ${MIN_CALL_BYTES} of a header`);
  }
  const r = new XdrReader(buf);
  const xid = r.uint32("xid");
  const mtype = r.uint32("msg_type");
  if (mtype !== MSG_CALL) throw new XdrError(`RPC message type ${mtype}, expected CALL (0)`);
  const rpcvers = r.uint32("rpcvers");
  if (rpcvers !== RPC_VERSION) return { kind: "version-mismatch", xid, rpcvers };
  const prog = r.uint32("prog");
  const vers = r.uint32("vers");
  const proc = r.uint32("proc");
  const cred = readAuth(r, "cred");
  const verf = readAuth(r, "verf");
  return { kind: "call", xid, prog, vers, proc, cred, verf, args: r.rest() };
}

export function readAuth(r: XdrReader, what: string): OpaqueAuth {
  const flavor = r.uint32(`${what} flavor`);
  return { flavor, body: r.opaque(MAX_AUTH_BYTES, `${what} body`) };
}
