import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOADB_MX_TBL, loadBalanceHash, macHash } from "./load-balance-hash.js";

/**
 * RFC 3074 §6, the reference C code, transcribed statement by statement:
 *
 *   static unsigned char loadb_p_hash(const unsigned char *key, int len) {
 *     unsigned char hash = len;
 *     int i;
 *     for (i = len; i > 0;)
 *       hash = loadb_mxtbl[hash ^ key[--i]];
 *     return hash;
 *   }
 */
function rfcLoadbPHash(key: readonly number[], len: number): number {
  let hash = len & 0xff; // unsigned char hash = len;
  let i: number;
  for (i = len; i > 0; ) {
    const k = key[--i] as number;
    hash = LOADB_MX_TBL[(hash ^ k) & 0xff] as number;
  }
  return hash;
}

describe("RFC 3074 load-balancing hash", () => {
  it("uses a mixing table of 256 distinct values (RFC 3074 §6)", () => {
    assert.equal(LOADB_MX_TBL.length, 256);
    assert.equal(new Set(LOADB_MX_TBL).size, 256);
    assert.ok(LOADB_MX_TBL.every((v) => Number.isInteger(v) && v >= 0 && v <= 255));
    // The table's first and last entries as printed in the RFC.
    assert.deepEqual(LOADB_MX_TBL.slice(0, 4), [251, 175, 119, 215]);
    assert.deepEqual(LOADB_MX_TBL.slice(-4), [6, 169, 234, 151]);
  });

  it("agrees with the RFC's reference algorithm on every length from 0 to 300 bytes", () => {
    let seed = 0x12345678;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    for (let len = 0; len <= 300; len++) {
      for (let n = 0; n < 20; n++) {
        const key = Array.from({ length: len }, next);
        assert.equal(loadBalanceHash(Uint8Array.from(key)), rfcLoadbPHash(key, len), `length ${len}`);
      }
    }
  });

  it("hashes a MAC by its six octets", () => {
    const mac = "52:54:00:12:34:56";
    assert.equal(macHash(mac), rfcLoadbPHash([0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 6));
    // An empty key hashes to its length, 0 (no byte mixed in).
    assert.equal(loadBalanceHash(new Uint8Array()), 0);
    // One byte: table[1 ^ b].
    assert.equal(loadBalanceHash(Uint8Array.of(0)), LOADB_MX_TBL[1]);
  });

  it("splits many MACs roughly in half between two servers", () => {
    let even = 0;
    for (let i = 0; i < 1000; i++) {
      const mac = `02:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
      if (macHash(mac) % 2 === 0) even++;
    }
    assert.ok(even > 350 && even < 650, `${even} of 1000 in the first half`);
  });
});
