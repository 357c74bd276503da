/**
 * 100,000 mutated and random argument bodies through the NFSv3 and MOUNT v3
 * decoders, for every procedure number and some past the last: XdrError is
 * the only thing either may throw, and what decodes keeps within RFC 1813's
 * limits. A seeded generator keeps every run the same; BF_FUZZ_SEED picks
 * another.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { mutateBytes, randomBytes, seededRandom } from "../xdr/byte-mutator.js";
import { XdrError } from "../xdr/xdr-error.js";
import { decodeNfs3Args } from "./decode-nfs3-args.js";
import { decodeMountArgs } from "./mount3-codec.js";
import * as pkt from "./nfs3-test-packets.js";

const SEED = Number(process.env.BF_FUZZ_SEED ?? 0x0c0de);
const ROUNDS = 100_000;

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
  assert.ok(
    decoded > ROUNDS / 50 && refused > ROUNDS / 50,
    `${name}: ${decoded} decoded, ${refused} refused`,
  );
}

it(`decodes ${ROUNDS} mutated NFSv3 arguments, throwing only XdrError`, () => {
  const seeds = [pkt.getattr, pkt.lookupEtc, pkt.access, pkt.read, pkt.readdir, pkt.readdirplus];
  fuzz("nfs3", seeds, (input, r) => {
    const a = decodeNfs3Args(r(24), input);
    if (a === undefined || a.proc === "null" || a.proc === "write") return;
    const fh = "fh" in a ? a.fh : a.dir;
    assert.ok(fh.length <= 64);
    if (a.proc === "lookup") assert.ok(!a.name.includes("/") && !a.name.includes("\0"));
    if (a.proc === "readdir" || a.proc === "readdirplus") assert.equal(a.cookieverf.length, 8);
  });
});

it(`decodes ${ROUNDS} mutated MOUNT v3 arguments, throwing only XdrError`, () => {
  fuzz("mount3", [pkt.mntThin], (input, r) => {
    const a = decodeMountArgs(r(7), input);
    if (a !== undefined && "path" in a) assert.ok(Buffer.byteLength(a.path) <= 1024 * 3);
  });
});
