import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromNetascii, toNetascii } from "./netascii.js";

describe("netascii", () => {
  it("LF -> CR LF, CR -> CR NUL (RFC 1350 / RFC 764)", () => {
    assert.deepEqual(toNetascii(Buffer.from("a\nb\rc\r\n")), Buffer.from("a\r\nb\r\0c\r\0\r\n", "latin1"));
  });
  it("returns the same buffer when there is nothing to convert", () => {
    const b = Buffer.from("plain");
    assert.equal(toNetascii(b), b);
  });
  it("round-trips any bytes", () => {
    const all = Buffer.alloc(4096);
    for (let i = 0; i < all.length; i++) all[i] = (i * 7919) & 0xff;
    all[100] = 13;
    all[101] = 10;
    all[4095] = 13;
    assert.deepEqual(fromNetascii(toNetascii(all)), all);
  });
});
