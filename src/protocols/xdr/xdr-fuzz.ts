/**
 * The fuzz loop the XDR-based codecs share (RPC, portmapper, MOUNT, NFSv3):
 * FUZZ_ROUNDS inputs, one in eight random bytes and the rest mutations of
 * real messages; XdrError is the only thing a decoder may throw. A seeded
 * generator keeps every run the same; BF_FUZZ_SEED picks another.
 */
import assert from "node:assert/strict";
import { mutateBytes, randomBytes, seededRandom } from "./byte-mutator.js";
import { XdrError } from "./xdr-error.js";

export const FUZZ_SEED = Number(process.env.BF_FUZZ_SEED ?? 0x0c0de);
export const FUZZ_ROUNDS = 100_000;

export function fuzzXdrDecoder(
  name: string,
  seeds: readonly Buffer[],
  decode: (input: Buffer, r: (n: number) => number) => void,
): void {
  const r = seededRandom(FUZZ_SEED ^ (name.length * 0x9e37));
  let decoded = 0;
  let refused = 0;
  for (let n = 0; n < FUZZ_ROUNDS; n++) {
    const input = r(8) === 0 ? randomBytes(r) : mutateBytes(r, seeds[r(seeds.length)]!, seeds);
    try {
      decode(input, r);
      decoded++;
    } catch (err) {
      if (!(err instanceof XdrError)) {
        assert.fail(
          `${name}: input ${input.toString("hex")} (seed ${FUZZ_SEED}, round ${n}) threw ${String(err)}`,
        );
      }
      refused++;
    }
  }
  // Both paths are exercised, or the mutator is not doing its job.
  assert.ok(
    decoded > FUZZ_ROUNDS / 50 && refused > FUZZ_ROUNDS / 50,
    `${name}: ${decoded} decoded, ${refused} refused`,
  );
}
