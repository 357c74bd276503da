import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { XdrError } from "./xdr-error.js";
import { XdrReader } from "./xdr-reader.js";
import { XdrWriter } from "./xdr-writer.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("XdrReader", () => {
  it("reads the items of RFC 4506 sections 4.1 to 4.11 and 4.19", () => {
    // uint 7, int -2, hyper 2^40, bool true, opaque<> "abc" + 1 pad byte,
    // string "hé" (3 bytes UTF-8) + 1 pad, optional absent, optional uint 9.
    const r = new XdrReader(
      hex(
        "00000007 fffffffe 0000010000000000 00000001 00000003 61626300 00000003 68c3a900 00000000 00000001 00000009",
      ),
    );
    assert.equal(r.uint32("a"), 7);
    assert.equal(r.int32("b"), -2);
    assert.equal(r.uint64("c"), 1n << 40n);
    assert.equal(r.bool("d"), true);
    assert.equal(r.opaque(8, "e").toString(), "abc");
    assert.equal(r.string(8, "f"), "hé");
    assert.equal(
      r.optional("g", (x) => x.uint32("g")),
      undefined,
    );
    assert.equal(
      r.optional("h", (x) => x.uint32("h")),
      9,
    );
    assert.equal(r.remaining, 0);
  });

  it("checks a length against the bytes left before reading", () => {
    const r = new XdrReader(hex("ffffffff 00"));
    assert.throws(
      () => r.opaque(0xffffffff, "name"),
      /name: needs 4294967296 bytes at offset 4, only 1 left/,
    );
  });

  it("checks a length against its maximum before reading", () => {
    const r = new XdrReader(hex("00000100"));
    assert.throws(
      () => r.opaque(255, "machinename"),
      /machinename: length 256 at offset 0, more than the 255 allowed/,
    );
  });

  it("wants the padding of opaque data present", () => {
    assert.throws(() => new XdrReader(hex("00000003 616263")).opaque(8, "x"), XdrError);
  });

  it("refuses a boolean other than 0 and 1", () => {
    assert.throws(() => new XdrReader(hex("00000002")).bool("eof"), /eof: boolean 2 at offset 0/);
  });

  it("refuses every truncation of a valid item", () => {
    const full = hex("00000005 68656c6c 6f000000");
    for (let n = 0; n < full.length; n++) {
      assert.throws(() => new XdrReader(full.subarray(0, n)).opaque(16, "x"), XdrError, `cut at ${n}`);
    }
  });
});

describe("XdrWriter", () => {
  it("writes what the reader reads, padded with zeros", () => {
    const w = new XdrWriter(16);
    const mark = w.reserve(4);
    w.uint32(1).int32(-1).uint64(5n).bool(false).opaque(Buffer.from("abcde")).string("x");
    w.optional(undefined, (x, v: number) => x.uint32(v)).optional(3, (x, v) => x.uint32(v));
    w.patchUint32(mark, 0x80000000 | (w.length - 4));
    assert.deepEqual(
      w.bytes(),
      hex(`80000034 00000001 ffffffff 0000000000000005 00000000 00000005 6162636465000000 00000001 78000000
           00000000 00000001 00000003`),
    );
  });
});
