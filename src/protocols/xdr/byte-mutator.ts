/**
 * Seeded mutations of valid messages for the codec fuzz tests: each run of
 * a seed is the same, so a failure prints what reproduces it (BF_FUZZ_SEED
 * picks another seed). Mutations are the ones that find XDR bugs: lengths
 * made huge or cut, bytes flipped, bytes dropped or duplicated, tails cut.
 */

/** xorshift32: small, seedable, good enough to mutate bytes. */
export function seededRandom(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** Values that steer XDR decoders into their edges when written as a 32-bit word. */
const WORDS = [
  0, 1, 2, 3, 4, 7, 8, 16, 17, 63, 64, 65, 255, 256, 400, 401, 1024, 0x7fffffff, 0x80000000, 0xffffffff,
];

export function mutateBytes(r: (n: number) => number, src: Buffer, others: readonly Buffer[] = []): Buffer {
  let out = Buffer.from(src);
  const edits = 1 + r(3);
  for (let e = 0; e < edits; e++) {
    const pos = r(out.length + 1);
    switch (r(7)) {
      case 0:
        if (out.length > 0) out[Math.min(pos, out.length - 1)] = r(256);
        break;
      case 1: {
        // A whole aligned word replaced: a length, a count, a boolean, a discriminant.
        const at = (pos & ~3) >>> 0;
        if (at + 4 <= out.length) out.writeUInt32BE(WORDS[r(WORDS.length)]!, at);
        break;
      }
      case 2:
        out = out.subarray(0, pos);
        break;
      case 3:
        out = Buffer.concat([out.subarray(0, pos), out.subarray(Math.min(out.length, pos + 1 + r(8)))]);
        break;
      case 4: {
        const from = r(out.length + 1);
        out = Buffer.concat([out.subarray(0, pos), out.subarray(from, from + r(16)), out.subarray(pos)]);
        break;
      }
      case 5: {
        const extra = Buffer.alloc(1 + r(12));
        for (let i = 0; i < extra.length; i++) extra[i] = r(256);
        out = Buffer.concat([out.subarray(0, pos), extra, out.subarray(pos)]);
        break;
      }
      default: {
        const other = others.length > 0 ? others[r(others.length)]! : src;
        out = Buffer.concat([out.subarray(0, pos), other.subarray(r(other.length + 1))]);
      }
    }
  }
  return out;
}

/** Random bytes, sometimes only a few, for inputs nothing like a message. */
export function randomBytes(r: (n: number) => number, max = 160): Buffer {
  const b = Buffer.alloc(r(max));
  for (let i = 0; i < b.length; i++) b[i] = r(4) === 0 ? 0 : r(256);
  return b;
}
