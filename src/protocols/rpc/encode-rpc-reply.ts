/**
 * Encodes a server's reply (RFC 5531 section 9) into an XdrWriter. The
 * verifier is always AUTH_NONE: AUTH_SYS and AUTH_NONE calls get no
 * verifier back (section 8.2). The results of a SUCCESS are written by the
 * program after this header, into the same writer, so a READ reply's data
 * is copied once.
 */
import type { XdrWriter } from "../xdr/xdr-writer.js";
import {
  ACCEPT_GARBAGE_ARGS,
  ACCEPT_PROC_UNAVAIL,
  ACCEPT_PROG_MISMATCH,
  ACCEPT_PROG_UNAVAIL,
  ACCEPT_SUCCESS,
  ACCEPT_SYSTEM_ERR,
  AUTH_NONE,
  MSG_ACCEPTED,
  MSG_DENIED,
  MSG_REPLY,
  REJECT_AUTH_ERROR,
  REJECT_RPC_MISMATCH,
} from "./rpc-constants.js";
import type { RpcReplyBody } from "./rpc-message.js";

/** Header of an accepted SUCCESS reply; the caller writes the results after it. */
export function encodeSuccessHeader(w: XdrWriter, xid: number): XdrWriter {
  return w
    .uint32(xid)
    .uint32(MSG_REPLY)
    .uint32(MSG_ACCEPTED)
    .uint32(AUTH_NONE)
    .uint32(0)
    .uint32(ACCEPT_SUCCESS);
}

export function encodeRpcReply(w: XdrWriter, xid: number, body: RpcReplyBody): XdrWriter {
  if (body.stat === "success") return encodeSuccessHeader(w, xid).fixedOpaque(body.results);
  w.uint32(xid).uint32(MSG_REPLY);
  switch (body.stat) {
    case "rpc-mismatch":
      return w.uint32(MSG_DENIED).uint32(REJECT_RPC_MISMATCH).uint32(body.low).uint32(body.high);
    case "auth-error":
      return w.uint32(MSG_DENIED).uint32(REJECT_AUTH_ERROR).uint32(body.authStat);
    default:
  }
  w.uint32(MSG_ACCEPTED).uint32(AUTH_NONE).uint32(0);
  switch (body.stat) {
    case "prog-unavail":
      return w.uint32(ACCEPT_PROG_UNAVAIL);
    case "prog-mismatch":
      return w.uint32(ACCEPT_PROG_MISMATCH).uint32(body.low).uint32(body.high);
    case "proc-unavail":
      return w.uint32(ACCEPT_PROC_UNAVAIL);
    case "garbage-args":
      return w.uint32(ACCEPT_GARBAGE_ARGS);
    case "system-err":
      return w.uint32(ACCEPT_SYSTEM_ERR);
  }
}
