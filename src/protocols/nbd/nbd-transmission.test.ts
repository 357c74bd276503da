import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NBD_CMD_WRITE, NBD_EINVAL, NBD_STATE_HOLE, NBD_STATE_ZERO } from "./nbd-constants.js";
import { NbdProtocolError } from "./nbd-protocol-error.js";
import { NbdReplyFramer } from "./nbd-reply-framer.js";
import * as pkt from "./nbd-test-packets.js";
import {
  decodeRequestHeader,
  encodeBlockStatus,
  encodeOffsetData,
  encodeOffsetHole,
  encodeRequest,
  encodeSimpleReply,
  encodeStructuredError,
  encodeStructuredNone,
} from "./nbd-transmission.js";

const hex = (b: Buffer) => b.toString("hex");

describe("requests", () => {
  it("decodes a READ header", () => {
    assert.deepEqual(decodeRequestHeader(pkt.reqRead), {
      flags: 0,
      type: 0,
      handle: 0x0102030405060708n,
      offset: 4096n,
      length: 512,
    });
  });

  it("refuses a short header and a wrong magic", () => {
    assert.throws(() => decodeRequestHeader(pkt.reqRead.subarray(0, 27)), /needs 28 bytes, got 27/);
    assert.throws(() => decodeRequestHeader(Buffer.alloc(28)), NbdProtocolError);
  });

  it("encodes a WRITE like the hand-built packet", () => {
    const b = encodeRequest({
      flags: 1,
      type: NBD_CMD_WRITE,
      handle: 9n,
      offset: 0n,
      length: 5,
      payload: Buffer.from("hello"),
    });
    assert.equal(hex(b), hex(pkt.reqWriteHello));
  });
});

describe("replies (proto.md 'Simple reply message', 'Structured reply chunk message')", () => {
  it("encodes a simple reply", () => {
    assert.equal(hex(encodeSimpleReply(NBD_EINVAL, 7n)), "67446698" + "00000016" + "0000000000000007");
  });

  it("encodes NBD_REPLY_TYPE_NONE with DONE", () => {
    assert.equal(
      hex(encodeStructuredNone(7n)),
      "668e33ef" + "0001" + "0000" + "0000000000000007" + "00000000",
    );
  });

  it("encodes OFFSET_DATA: length is 8 + data", () => {
    assert.equal(
      hex(encodeOffsetData(7n, 512, Buffer.from("ab"), true)),
      "668e33ef" + "0001" + "0001" + "0000000000000007" + "0000000a" + "0000000000000200" + "6162",
    );
  });

  it("encodes OFFSET_HOLE: length exactly 12", () => {
    assert.equal(
      hex(encodeOffsetHole(7n, 512, 4096, false)),
      "668e33ef" + "0000" + "0002" + "0000000000000007" + "0000000c" + "0000000000000200" + "00001000",
    );
  });

  it("encodes ERROR: error, message length, message", () => {
    assert.equal(
      hex(encodeStructuredError(7n, NBD_EINVAL, "x")),
      "668e33ef" + "0001" + "8001" + "0000000000000007" + "00000007" + "00000016" + "0001" + "78",
    );
  });

  it("encodes BLOCK_STATUS: context id then descriptors", () => {
    assert.equal(
      hex(encodeBlockStatus(7n, 1, [{ length: 4096, flags: NBD_STATE_HOLE | NBD_STATE_ZERO }], true)),
      "668e33ef" + "0001" + "0005" + "0000000000000007" + "0000000c" + "00000001" + "00001000" + "00000003",
    );
    assert.throws(() => encodeBlockStatus(7n, 1, [], true), RangeError);
  });
});

describe("NbdReplyFramer", () => {
  it("frames simple and structured replies at every split point", () => {
    const data = Buffer.from("0123456789");
    const stream = Buffer.concat([
      Buffer.concat([encodeSimpleReply(0, 1n), data]),
      encodeSimpleReply(NBD_EINVAL, 2n),
      encodeOffsetData(3n, 0, data, false),
      encodeStructuredNone(3n),
    ]);
    for (let i = 0; i <= stream.length; i++) {
      const f = new NbdReplyFramer();
      f.enterTransmission();
      f.expectRead(1n, 10);
      f.expectRead(2n, 10);
      const out = [];
      for (const part of [stream.subarray(0, i), stream.subarray(i)]) {
        f.push(part);
        for (let m = f.next(); m; m = f.next()) out.push(m);
      }
      assert.equal(out.length, 4, `split at ${i}`);
      assert.deepEqual(out[0], { kind: "simple-reply", error: 0, handle: 1n, data });
      assert.deepEqual(out[1], {
        kind: "simple-reply",
        error: NBD_EINVAL,
        handle: 2n,
        data: Buffer.alloc(0),
      });
    }
  });
});
