/**
 * 100,000 mutated and random messages through each RPC-level codec (the
 * call header, AUTH_SYS, portmapper arguments, the TCP record framer):
 * XdrError is the only thing any of them may throw, and what decodes keeps
 * within its limits. A seeded generator keeps every run the same;
 * BF_FUZZ_SEED picks another.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { mutateBytes, randomBytes, seededRandom } from "../xdr/byte-mutator.js";
import { XdrError } from "../xdr/xdr-error.js";
import { decodeAuthSys } from "./auth-sys.js";
import { decodeRpcCall } from "./decode-rpc-call.js";
import { decodePortmapArgs } from "./portmap-codec.js";
import { RpcRecordFramer } from "./rpc-record-framer.js";
import * as pkt from "./rpc-test-packets.js";

const SEED = Number(process.env.BF_FUZZ_SEED ?? 0x0c0de);
const ROUNDS = 100_000;

/** Runs `decode` over ROUNDS inputs; returns how many decoded and how many were refused. */
function fuzz(
  name: string,
  seeds: readonly Buffer[],
  decode: (input: Buffer, r: (n: number) => number) => void,
) {
  const r = seededRandom(SEED ^ (name.length * 0x9e37));
  let decoded = 0;
  let refused = 0;
  for (let n = 0; n < ROUNDS; n++) {
    const input = r(8) === 0 ? randomBytes(r) : mutateBytes(r, seeds[r(seeds.length)]!, seeds);
    try {
      decode(input, r);
      decoded++;
    } catch (err) {
      if (!(err instanceof XdrError)) {
        assert.fail(
          `${name}: input ${input.toString("hex")} (seed ${SEED}, round ${n}) threw ${String(err)}`,
        );
      }
      refused++;
    }
  }
  // Both paths are exercised, or the mutator is not doing its job.
  assert.ok(
    decoded > ROUNDS / 50 && refused > ROUNDS / 50,
    `${name}: ${decoded} decoded, ${refused} refused`,
  );
}

const calls = [pkt.pmapNull, pkt.pmapGetportMountTcp, pkt.rpcVersion3];

it(`decodes ${ROUNDS} mutated RPC calls, throwing only XdrError`, () => {
  fuzz("call", calls, (input) => {
    const c = decodeRpcCall(input);
    if (c.kind === "call") assert.ok(c.cred.body.length <= 400 && c.verf.body.length <= 400);
  });
});

it(`decodes ${ROUNDS} mutated AUTH_SYS credentials, throwing only XdrError`, () => {
  fuzz("auth-sys", [pkt.authSysBf], (input) => {
    const a = decodeAuthSys(input);
    assert.ok(a.gids.length <= 16 && Buffer.byteLength(a.machineName) <= 255 * 3);
  });
});

it(`decodes ${ROUNDS} mutated portmapper arguments, throwing only XdrError`, () => {
  const getport = decodeRpcCall(pkt.pmapGetportMountTcp);
  assert.ok(getport.kind === "call");
  fuzz("portmap", [getport.args], (input, r) => {
    decodePortmapArgs(r(7), input);
  });
});

it(`frames ${ROUNDS} mutated records in random chunks, throwing only XdrError`, () => {
  const r = seededRandom(SEED ^ 0xf4a3);
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
        assert.fail(`stream ${stream.toString("hex")} (seed ${SEED}) threw ${String(err)}`);
      refused++;
    }
  }
  assert.ok(refused > 0);
});
