/**
 * 100,000 mutated and random messages through each RPC-level codec (the
 * call header, AUTH_SYS, portmapper arguments, the TCP record framer):
 * XdrError is the only thing any of them may throw, and what decodes keeps
 * within its limits. A seeded generator keeps every run the same;
 * BF_FUZZ_SEED picks another.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { mutateBytes, seededRandom } from "../xdr/byte-mutator.js";
import { XdrError } from "../xdr/xdr-error.js";
import { FUZZ_ROUNDS, FUZZ_SEED, fuzzXdrDecoder } from "../xdr/xdr-fuzz.js";
import { decodeAuthSys } from "./auth-sys.js";
import { decodeRpcCall } from "./decode-rpc-call.js";
import { decodePortmapArgs } from "./portmap-codec.js";
import { RpcRecordFramer } from "./rpc-record-framer.js";
import * as pkt from "./rpc-test-packets.js";

const ROUNDS = FUZZ_ROUNDS;

const calls = [pkt.pmapNull, pkt.pmapGetportMountTcp, pkt.rpcVersion3];

it(`decodes ${ROUNDS} mutated RPC calls, throwing only XdrError`, () => {
  fuzzXdrDecoder("call", calls, (input) => {
    const c = decodeRpcCall(input);
    if (c.kind === "call") assert.ok(c.cred.body.length <= 400 && c.verf.body.length <= 400);
  });
});

it(`decodes ${ROUNDS} mutated AUTH_SYS credentials, throwing only XdrError`, () => {
  fuzzXdrDecoder("auth-sys", [pkt.authSysBf], (input) => {
    const a = decodeAuthSys(input);
    assert.ok(a.gids.length <= 16 && Buffer.byteLength(a.machineName) <= 255 * 3);
  });
});

it(`decodes ${ROUNDS} mutated portmapper arguments, throwing only XdrError`, () => {
  const getport = decodeRpcCall(pkt.pmapGetportMountTcp);
  assert.ok(getport.kind === "call");
  fuzzXdrDecoder("portmap", [getport.args], (input, r) => {
    decodePortmapArgs(r(7), input);
  });
});

it(`frames ${ROUNDS} mutated records in random chunks, throwing only XdrError`, () => {
  const r = seededRandom(FUZZ_SEED ^ 0xf4a3);
  const record = (b: Buffer) =>
    Buffer.concat([Buffer.from([0x80 | (b.length >>> 24), b.length >>> 16, b.length >>> 8, b.length]), b]);
  let records = 0;
  let refused = 0;
  while (records < ROUNDS) {
    const parts: Buffer[] = [];
    for (let k = 0; k < 1 + r(8); k++) {
      const msg = calls[r(calls.length)]!;
      parts.push(r(3) === 0 ? pkt.pmapNullTwoFragments : record(msg));
      records++;
    }
    const stream = mutateBytes(r, Buffer.concat(parts));
    const f = new RpcRecordFramer(256);
    try {
      for (let off = 0; off < stream.length; ) {
        const len = 1 + r(48);
        f.push(stream.subarray(off, off + len));
        for (let m = f.next(); m; m = f.next()) assert.ok(m.length <= 256);
        off += len;
      }
    } catch (err) {
      if (!(err instanceof XdrError))
        assert.fail(`stream ${stream.toString("hex")} (seed ${FUZZ_SEED}) threw ${String(err)}`);
      refused++;
    }
  }
  assert.ok(refused > 0);
});
