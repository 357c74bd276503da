/**
 * 100,000 mutated and random argument bodies through the NFSv3 and MOUNT v3
 * decoders, for every procedure number and some past the last: XdrError is
 * the only thing either may throw, and what decodes keeps within RFC 1813's
 * limits. A seeded generator keeps every run the same; BF_FUZZ_SEED picks
 * another.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { FUZZ_ROUNDS, fuzzXdrDecoder } from "../xdr/xdr-fuzz.js";
import { decodeNfs3Args } from "./decode-nfs3-args.js";
import { decodeMountArgs } from "./mount3-codec.js";
import * as pkt from "./nfs3-test-packets.js";

const ROUNDS = FUZZ_ROUNDS;

it(`decodes ${ROUNDS} mutated NFSv3 arguments, throwing only XdrError`, () => {
  const seeds = [pkt.getattr, pkt.lookupEtc, pkt.access, pkt.read, pkt.readdir, pkt.readdirplus];
  fuzzXdrDecoder("nfs3", seeds, (input, r) => {
    const a = decodeNfs3Args(r(24), input);
    if (a === undefined || a.proc === "null" || a.proc === "write") return;
    const fh = "fh" in a ? a.fh : a.dir;
    assert.ok(fh.length <= 64);
    if (a.proc === "lookup") assert.ok(!a.name.includes("/") && !a.name.includes("\0"));
    if (a.proc === "readdir" || a.proc === "readdirplus") assert.equal(a.cookieverf.length, 8);
  });
});

it(`decodes ${ROUNDS} mutated MOUNT v3 arguments, throwing only XdrError`, () => {
  fuzzXdrDecoder("mount3", [pkt.mntThin], (input, r) => {
    const a = decodeMountArgs(r(7), input);
    if (a !== undefined && "path" in a) assert.ok(Buffer.byteLength(a.path) <= 1024 * 3);
  });
});
