/**
 * 100,000 random and mutated messages (and streams) through the decoder and
 * the framer: SyslogParseError is the only thing either may throw, and what
 * decodes is well formed. A seeded generator keeps every run the same;
 * BF_FUZZ_SEED picks another.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { decodeSyslog } from "./decode-syslog.js";
import { SyslogFramer } from "./syslog-framer.js";
import { SyslogParseError } from "./syslog-parse-error.js";
import { loggerCaptures, rfc3164Examples, rfc5424Examples } from "./syslog-test-messages.js";

const SEED = Number(process.env.BF_FUZZ_SEED ?? 0x5eed5);
const ROUNDS = 100_000;

/** xorshift32: small, seedable, good enough to mutate bytes. */
function rng(seed: number): (n: number) => number {
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

const seeds = [
  ...Object.values(rfc5424Examples),
  ...Object.values(rfc3164Examples),
  loggerCaptures.udp5424,
  loggerCaptures.udp3164,
  loggerCaptures.sd,
  '<14>1 - - - - - [a@1 q="say \\"hi\\"" b="x\\]y\\\\z"] m',
  "<6>kernel: [    1.234] nbd0: p1",
  "<13>2026-11-24T17:27:16.5+01:00 host app: hi",
].map((s) => Buffer.from(s, "utf8"));

/** Bytes that steer the parsers into their branches. */
const INTERESTING = [
  0x3c, 0x3e, 0x20, 0x2d, 0x5b, 0x5d, 0x22, 0x3d, 0x5c, 0x0a, 0x0d, 0x00, 0xef, 0xbb, 0xbf, 0x31, 0x39, 0x54,
  0x3a, 0xff,
];

function mutate(r: (n: number) => number, src: Buffer): Buffer {
  const out = [...src];
  const edits = 1 + r(4);
  for (let e = 0; e < edits; e++) {
    const pos = r(out.length + 1);
    const byte = r(3) === 0 ? r(256) : INTERESTING[r(INTERESTING.length)]!;
    switch (r(6)) {
      case 0:
        out[pos] = byte;
        break;
      case 1:
        out.splice(pos, 0, byte);
        break;
      case 2:
        out.splice(pos, 1 + r(4));
        break;
      case 3:
        out.length = Math.min(out.length, pos);
        break;
      case 4: {
        const from = r(out.length + 1);
        out.splice(pos, 0, ...out.slice(from, from + r(12)));
        break;
      }
      default: {
        const other = seeds[r(seeds.length)]!;
        out.splice(pos, r(8), ...other.subarray(r(other.length)));
      }
    }
  }
  return Buffer.from(out);
}

function randomBytes(r: (n: number) => number): Buffer {
  const len = r(200);
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = r(4) === 0 ? INTERESTING[r(INTERESTING.length)]! : r(256);
  if (len > 0 && r(2) === 0) b[0] = 0x3c;
  return b;
}

it(`decodes ${ROUNDS} random and mutated messages without throwing anything but SyslogParseError`, () => {
  const r = rng(SEED);
  let decoded = 0;
  let rejected = 0;
  for (let n = 0; n < ROUNDS; n++) {
    const input = r(5) === 0 ? randomBytes(r) : mutate(r, seeds[r(seeds.length)]!);
    try {
      const m = decodeSyslog(input, { now: 1_763_000_000_000, utcOffsetMinutes: r(3) * 60 - 60 });
      decoded++;
      assert.ok(m.facility >= 0 && m.facility <= 23 && m.severity >= 0 && m.severity <= 7);
      assert.equal(typeof m.message, "string");
      assert.ok(
        m.timestamp === null || Number.isFinite(m.timestamp),
        `timestamp of ${input.toString("latin1")}`,
      );
    } catch (err) {
      if (!(err instanceof SyslogParseError)) {
        assert.fail(`input ${input.toString("hex")} (seed ${SEED}, round ${n}) threw ${String(err)}`);
      }
      rejected++;
    }
  }
  // Both paths are exercised, or the mutator is not doing its job.
  assert.ok(decoded > ROUNDS / 10 && rejected > ROUNDS / 100, `${decoded} decoded, ${rejected} rejected`);
});

it("frames 2,000 mutated streams in random chunks; only SyslogParseError escapes", () => {
  const r = rng(SEED ^ 0xf00d);
  for (let n = 0; n < 2000; n++) {
    const parts: Buffer[] = [];
    for (let k = 0; k < 1 + r(6); k++) {
      const msg = mutate(r, seeds[r(seeds.length)]!);
      parts.push(
        r(2) === 0
          ? Buffer.concat([Buffer.from(`${msg.length} `), msg])
          : Buffer.concat([msg, Buffer.from("\n")]),
      );
    }
    const stream = mutate(r, Buffer.concat(parts));
    const f = new SyslogFramer(r(4) === 0 ? 64 : undefined);
    try {
      for (let off = 0; off < stream.length; ) {
        const len = 1 + r(40);
        for (const frame of f.push(stream.subarray(off, off + len))) {
          try {
            decodeSyslog(frame);
          } catch (err) {
            if (!(err instanceof SyslogParseError)) throw err;
          }
        }
        off += len;
      }
      f.end();
    } catch (err) {
      if (!(err instanceof SyslogParseError)) {
        assert.fail(`stream ${stream.toString("hex")} (seed ${SEED}, round ${n}) threw ${String(err)}`);
      }
    }
  }
});
