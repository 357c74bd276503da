/**
 * The ONC RPC v2 messages of RFC 5531 section 9, as a union told apart by
 * `kind`. Arguments and results stay XDR bytes here: the program (portmapper,
 * MOUNT, NFS) decodes its own.
 */

/** opaque_auth: a flavor and its body (at most 400 bytes). */
export interface OpaqueAuth {
  readonly flavor: number;
  readonly body: Buffer;
}

export interface RpcCall {
  readonly kind: "call";
  readonly xid: number;
  readonly prog: number;
  readonly vers: number;
  readonly proc: number;
  readonly cred: OpaqueAuth;
  readonly verf: OpaqueAuth;
  /** The procedure's arguments, undecoded; a view of the message. */
  readonly args: Buffer;
}

/**
 * A call whose rpcvers is not 2: nothing after it can be read, and the
 * answer is MSG_DENIED / RPC_MISMATCH (section 9).
 */
export interface RpcVersionMismatch {
  readonly kind: "version-mismatch";
  readonly xid: number;
  readonly rpcvers: number;
}

/** A reply's body, from the server's side. */
export type RpcReplyBody =
  | { readonly stat: "success"; readonly results: Buffer }
  | { readonly stat: "prog-unavail" }
  | { readonly stat: "prog-mismatch"; readonly low: number; readonly high: number }
  | { readonly stat: "proc-unavail" }
  | { readonly stat: "garbage-args" }
  | { readonly stat: "system-err" }
  | { readonly stat: "rpc-mismatch"; readonly low: number; readonly high: number }
  | { readonly stat: "auth-error"; readonly authStat: number };

export interface RpcReply {
  readonly kind: "reply";
  readonly xid: number;
  readonly body: RpcReplyBody;
}
