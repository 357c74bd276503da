/**
 * From one RPC message to its reply (RFC 5531 section 9): checks the RPC
 * version and the credential, finds the program and version, lets it
 * answer. Programs, versions and procedures not served get the refusals of
 * section 9 (PROG_UNAVAIL, PROG_MISMATCH, PROC_UNAVAIL); arguments that do
 * not decode get GARBAGE_ARGS; a program that fails gets SYSTEM_ERR, and
 * the service goes on.
 *
 * Credentials: AUTH_NONE and AUTH_SYS; anything else AUTH_TOOWEAK, a
 * malformed AUTH_SYS AUTH_BADCRED. A message whose header does not decode
 * is not answered: the caller closes that TCP connection, or drops that
 * datagram.
 */
import { decodeAuthSys, type AuthSys } from "../../protocols/rpc/auth-sys.js";
import { decodeRpcCall } from "../../protocols/rpc/decode-rpc-call.js";
import { encodeRpcReply, encodeSuccessHeader } from "../../protocols/rpc/encode-rpc-reply.js";
import {
  AUTH_BADCRED,
  AUTH_NONE,
  AUTH_SYS,
  AUTH_TOOWEAK,
  RPC_VERSION,
} from "../../protocols/rpc/rpc-constants.js";
import type { RpcReplyBody } from "../../protocols/rpc/rpc-message.js";
import { reserveRecordMark, sealRecord } from "../../protocols/rpc/rpc-record-framer.js";
import { XdrError } from "../../protocols/xdr/xdr-error.js";
import { XdrWriter } from "../../protocols/xdr/xdr-writer.js";
import type { Logger } from "../../logging/logger.js";
import type { RpcCallContext, RpcOutcome, RpcProgram } from "./rpc-program.js";

/** RPC reply header with an AUTH_NONE verifier: 24 bytes, plus the record mark. */
const HEADER_BYTES = 28;

export type DispatchResult =
  /** The reply, in pieces to send in order (a READ's data is not copied into the first). */
  | {
      readonly kind: "reply";
      readonly bytes: readonly Buffer[];
      /** To call once the bytes are sent or dropped. */
      readonly release?: (() => void) | undefined;
    }
  /** The message is not an RPC call: close (TCP) or drop (UDP). */
  | { readonly kind: "malformed"; readonly reason: string };

export class RpcDispatcher {
  readonly #programs = new Map<number, RpcProgram>();
  readonly #logger: Logger;

  constructor(programs: readonly RpcProgram[], logger: Logger) {
    for (const p of programs) this.#programs.set(p.prog, p);
    this.#logger = logger;
  }

  /** The reply to `message`; with `recordMark`, framed as one TCP record (section 11). */
  async dispatch(
    message: Buffer,
    client: Omit<RpcCallContext, "cred">,
    recordMark: boolean,
  ): Promise<DispatchResult> {
    let call: ReturnType<typeof decodeRpcCall>;
    try {
      call = decodeRpcCall(message);
    } catch (err) {
      if (err instanceof XdrError) return { kind: "malformed", reason: err.message };
      throw err;
    }
    if (call.kind === "version-mismatch") {
      return this.#reply(call.xid, { stat: "rpc-mismatch", low: RPC_VERSION, high: RPC_VERSION }, recordMark);
    }
    let cred: AuthSys | undefined;
    if (call.cred.flavor === AUTH_SYS) {
      try {
        cred = decodeAuthSys(call.cred.body);
      } catch (err) {
        if (!(err instanceof XdrError)) throw err;
        return this.#reply(call.xid, { stat: "auth-error", authStat: AUTH_BADCRED }, recordMark);
      }
    } else if (call.cred.flavor !== AUTH_NONE) {
      return this.#reply(call.xid, { stat: "auth-error", authStat: AUTH_TOOWEAK }, recordMark);
    }
    const program = this.#programs.get(call.prog);
    if (program === undefined) return this.#reply(call.xid, { stat: "prog-unavail" }, recordMark);
    if (call.vers < program.lowVersion || call.vers > program.highVersion) {
      return this.#reply(
        call.xid,
        { stat: "prog-mismatch", low: program.lowVersion, high: program.highVersion },
        recordMark,
      );
    }
    let outcome: RpcOutcome;
    try {
      outcome = await program.call(call.proc, call.args, { ...client, cred });
    } catch (err) {
      if (err instanceof XdrError) outcome = { stat: "garbage-args" };
      else {
        this.#logger.error(
          { prog: call.prog, proc: call.proc, err: (err as Error).message },
          "rpc: procedure failed",
        );
        outcome = { stat: "system-err" };
      }
    }
    if (outcome.stat !== "success") return this.#reply(call.xid, outcome, recordMark);
    const w = new XdrWriter(HEADER_BYTES + outcome.size);
    const mark = recordMark ? reserveRecordMark(w) : -1;
    encodeSuccessHeader(w, call.xid);
    const tail = outcome.write(w) ?? [];
    const tailBytes = tail.reduce((n, b) => n + b.length, 0);
    const head = recordMark ? sealRecord(w, mark, tailBytes) : w.bytes();
    return { kind: "reply", bytes: tail.length > 0 ? [head, ...tail] : [head], release: outcome.release };
  }

  #reply(xid: number, body: RpcReplyBody, recordMark: boolean): DispatchResult {
    const w = new XdrWriter(64);
    const mark = recordMark ? reserveRecordMark(w) : -1;
    encodeRpcReply(w, xid, body);
    return { kind: "reply", bytes: [recordMark ? sealRecord(w, mark) : w.bytes()] };
  }
}
