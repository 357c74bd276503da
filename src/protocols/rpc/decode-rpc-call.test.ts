import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { XdrError } from "../xdr/xdr-error.js";
import { XdrWriter } from "../xdr/xdr-writer.js";
import { decodeAuthSys } from "./auth-sys.js";
import { decodeRpcCall } from "./decode-rpc-call.js";
import { decodeRpcReply } from "./decode-rpc-reply.js";
import { encodeRpcCall } from "./encode-rpc-call.js";
import { encodeRpcReply } from "./encode-rpc-reply.js";
import { AUTH_SYS } from "./rpc-constants.js";
import * as pkt from "./rpc-test-packets.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("decodeRpcCall", () => {
  it("reads a portmapper NULL with AUTH_NONE", () => {
    const c = decodeRpcCall(pkt.pmapNull);
    assert.equal(c.kind, "call");
    assert.deepEqual(
      c.kind === "call" && [c.xid, c.prog, c.vers, c.proc, c.cred.flavor, c.args.length],
      [0x01020304, 100000, 2, 0, 0, 0],
    );
  });

  it("reads an AUTH_SYS credential and the arguments after the verifier", () => {
    const c = decodeRpcCall(pkt.pmapGetportMountTcp);
    assert.ok(c.kind === "call");
    assert.equal(c.cred.flavor, AUTH_SYS);
    assert.deepEqual(decodeAuthSys(c.cred.body), { stamp: 0, machineName: "bf", uid: 0, gid: 0, gids: [0] });
    assert.deepEqual(c.args, hex("000186a5 00000003 00000006 00000000"));
  });

  it("returns a call of another RPC version as such, with its xid", () => {
    assert.deepEqual(decodeRpcCall(pkt.rpcVersion3), { kind: "version-mismatch", xid: 9, rpcvers: 3 });
  });

  it("refuses every truncation of a call header", () => {
    for (let n = 0; n < 40; n++) {
      assert.throws(() => decodeRpcCall(pkt.pmapGetportMountTcp.subarray(0, n)), XdrError, `cut at ${n}`);
    }
  });

  it("refuses a REPLY and an opaque_auth over 400 bytes", () => {
    const reply = Buffer.from(pkt.pmapNull);
    reply.writeUInt32BE(1, 4);
    assert.throws(() => decodeRpcCall(reply), /message type 1, expected CALL/);
    const big = Buffer.concat([pkt.pmapNull.subarray(0, 28), hex("00000191"), Buffer.alloc(404)]);
    big.writeUInt32BE(1, 24);
    assert.throws(() => decodeRpcCall(big), /cred body: length 401 at offset 28, more than the 400 allowed/);
  });

  it("refuses an AUTH_SYS body with 17 groups", () => {
    const w = new XdrWriter().uint32(0).string("x").uint32(0).uint32(0).uint32(17);
    for (let i = 0; i < 17; i++) w.uint32(i);
    assert.throws(() => decodeAuthSys(w.bytes()), /17 groups, more than the 16 allowed/);
  });
});

describe("encodeRpcReply", () => {
  it("writes SUCCESS with an AUTH_NONE verifier, then the results", () => {
    const w = encodeRpcReply(new XdrWriter(), 7, { stat: "success", results: hex("00000801") });
    assert.deepEqual(w.bytes(), hex("00000007 00000001 00000000 00000000 00000000 00000000 00000801"));
  });

  it("writes each refusal of section 9 as a client reads it back", () => {
    const bodies = [
      { stat: "prog-unavail" },
      { stat: "prog-mismatch", low: 3, high: 3 },
      { stat: "proc-unavail" },
      { stat: "garbage-args" },
      { stat: "system-err" },
      { stat: "rpc-mismatch", low: 2, high: 2 },
      { stat: "auth-error", authStat: 5 },
    ] as const;
    for (const body of bodies) {
      assert.deepEqual(decodeRpcReply(encodeRpcReply(new XdrWriter(), 42, body).bytes()), {
        kind: "reply",
        xid: 42,
        body,
      });
    }
    assert.deepEqual(
      encodeRpcReply(new XdrWriter(), 1, { stat: "rpc-mismatch", low: 2, high: 2 }).bytes(),
      hex("00000001 00000001 00000001 00000000 00000002 00000002"),
    );
  });

  it("encodeRpcCall writes what the server decodes", () => {
    const w = encodeRpcCall(new XdrWriter(), { xid: 0x01020304, prog: 100000, vers: 2, proc: 0 });
    assert.deepEqual(w.bytes(), pkt.pmapNull);
  });
});
