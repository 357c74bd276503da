/**
 * Decodes a reply as a client reads it (RFC 5531 section 9). The server
 * never reads replies; tests and benchmarks use this to read its answers.
 */
import { XdrError } from "../xdr/xdr-error.js";
import { XdrReader } from "../xdr/xdr-reader.js";
import { readAuth } from "./decode-rpc-call.js";
import {
  ACCEPT_GARBAGE_ARGS,
  ACCEPT_PROC_UNAVAIL,
  ACCEPT_PROG_MISMATCH,
  ACCEPT_PROG_UNAVAIL,
  ACCEPT_SUCCESS,
  ACCEPT_SYSTEM_ERR,
  MSG_ACCEPTED,
  MSG_DENIED,
  MSG_REPLY,
  REJECT_AUTH_ERROR,
  REJECT_RPC_MISMATCH,
} from "./rpc-constants.js";
import type { RpcReply } from "./rpc-message.js";

export function decodeRpcReply(buf: Buffer): RpcReply {
  const r = new XdrReader(buf);
  const xid = r.uint32("xid");
  const mtype = r.uint32("msg_type");
  if (mtype !== MSG_REPLY) throw new XdrError(`RPC message type ${mtype}, expected REPLY (1)`);
  const stat = r.uint32("reply_stat");
  if (stat === MSG_DENIED) {
    const reject = r.uint32("reject_stat");
    if (reject === REJECT_RPC_MISMATCH) {
      return {
        kind: "reply",
        xid,
        body: { stat: "rpc-mismatch", low: r.uint32("low"), high: r.uint32("high") },
      };
    }
    if (reject === REJECT_AUTH_ERROR) {
      return { kind: "reply", xid, body: { stat: "auth-error", authStat: r.uint32("auth_stat") } };
    }
    throw new XdrError(`reject_stat ${reject}`);
  }
  if (stat !== MSG_ACCEPTED) throw new XdrError(`reply_stat ${stat}`);
  readAuth(r, "verf");
  const accept = r.uint32("accept_stat");
  switch (accept) {
    case ACCEPT_SUCCESS:
      return { kind: "reply", xid, body: { stat: "success", results: r.rest() } };
    case ACCEPT_PROG_UNAVAIL:
      return { kind: "reply", xid, body: { stat: "prog-unavail" } };
    case ACCEPT_PROG_MISMATCH:
      return {
        kind: "reply",
        xid,
        body: { stat: "prog-mismatch", low: r.uint32("low"), high: r.uint32("high") },
      };
    case ACCEPT_PROC_UNAVAIL:
      return { kind: "reply", xid, body: { stat: "proc-unavail" } };
    case ACCEPT_GARBAGE_ARGS:
      return { kind: "reply", xid, body: { stat: "garbage-args" } };
    case ACCEPT_SYSTEM_ERR:
      return { kind: "reply", xid, body: { stat: "system-err" } };
    default:
      throw new XdrError(`accept_stat ${accept}`);
  }
}
