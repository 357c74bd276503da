import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  NBD_FLAG_FIXED_NEWSTYLE,
  NBD_FLAG_NO_ZEROES,
  NBD_INFO_DESCRIPTION,
  NBD_INFO_NAME,
  NBD_OPT_GO,
  NBD_OPT_INFO,
  NBD_OPT_LIST,
  NBD_OPT_SET_META_CONTEXT,
  NBD_REP_ERR_UNSUP,
} from "./nbd-constants.js";
import {
  checkClientFlags,
  decodeOption,
  encodeAck,
  encodeExportNameReply,
  encodeGreeting,
  encodeInfoBlockSize,
  encodeInfoExport,
  encodeInfoRequestData,
  encodeInfoString,
  encodeMetaContext,
  encodeMetaContextRequestData,
  encodeOption,
  encodeOptionError,
  encodeRepServer,
} from "./nbd-handshake.js";
import { NbdOptionError, NbdProtocolError } from "./nbd-protocol-error.js";
import * as pkt from "./nbd-test-packets.js";

const hex = (b: Buffer) => b.toString("hex");
/** Option reply header from proto.md: magic 0x3e889045565a9, option, type, length. */
const repHeader = (option: string, type: string, length: string) =>
  `0003e889045565a9${option}${type}${length}`;

describe("server greeting and replies", () => {
  it("greets with NBDMAGIC, IHAVEOPT and the handshake flags", () => {
    assert.equal(
      hex(encodeGreeting(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES)),
      `4e42444d41474943${pkt.IHAVEOPT}0003`,
    );
  });

  it("encodes NBD_REP_ACK", () => {
    assert.equal(hex(encodeAck(8)), repHeader("00000008", "00000001", "00000000"));
  });

  it("encodes an error with its message", () => {
    assert.equal(
      hex(encodeOptionError(99, NBD_REP_ERR_UNSUP, "no")),
      repHeader("00000063", "80000001", "00000002") + "6e6f",
    );
  });

  it("encodes NBD_REP_SERVER: name length, name, description", () => {
    assert.equal(
      hex(encodeRepServer("ab", "d")),
      repHeader("00000003", "00000002", "00000007") + "00000002" + "6162" + "64",
    );
  });

  it("encodes NBD_INFO_EXPORT with length 12", () => {
    assert.equal(
      hex(encodeInfoExport(NBD_OPT_GO, 0x1_0000_0000, 0x0103)),
      repHeader("00000007", "00000003", "0000000c") + "0000" + "0000000100000000" + "0103",
    );
  });

  it("encodes NBD_INFO_NAME and NBD_INFO_DESCRIPTION", () => {
    assert.equal(
      hex(encodeInfoString(NBD_OPT_INFO, NBD_INFO_NAME, "x")),
      repHeader("00000006", "00000003", "00000003") + "000178",
    );
    assert.equal(
      hex(encodeInfoString(NBD_OPT_INFO, NBD_INFO_DESCRIPTION, "")),
      repHeader("00000006", "00000003", "00000002") + "0002",
    );
  });

  it("encodes NBD_INFO_BLOCK_SIZE with length 14", () => {
    assert.equal(
      hex(encodeInfoBlockSize(NBD_OPT_GO, 1, 4096, 33554432)),
      repHeader("00000007", "00000003", "0000000e") + "0003" + "00000001" + "00001000" + "02000000",
    );
  });

  it("encodes NBD_REP_META_CONTEXT", () => {
    assert.equal(
      hex(encodeMetaContext(NBD_OPT_SET_META_CONTEXT, 1, "base:allocation")),
      repHeader("0000000a", "00000004", "00000013") + "00000001" + hex(Buffer.from("base:allocation")),
    );
  });

  it("answers NBD_OPT_EXPORT_NAME with size, flags and 124 zeroes unless NO_ZEROES", () => {
    assert.equal(hex(encodeExportNameReply(1024, 3, true)), "00000000000004000003");
    const full = encodeExportNameReply(1024, 3, false);
    assert.equal(full.length, 134);
    assert.ok(full.subarray(10).every((b) => b === 0));
  });

  it("cuts a long error message to 4096 bytes", () => {
    const r = encodeOptionError(1, NBD_REP_ERR_UNSUP, "é".repeat(3000));
    assert.equal(r.readUInt32BE(16), 4096);
  });
});

describe("client flags", () => {
  it("accepts FIXED_NEWSTYLE and NO_ZEROES when offered", () => {
    assert.equal(checkClientFlags(pkt.clientFlagsFixedNoZeroes.readUInt32BE(0), true), 3);
  });
  it("refuses NO_ZEROES the server did not offer", () => {
    assert.throws(
      () => checkClientFlags(pkt.clientFlagsFixedNoZeroes.readUInt32BE(0), false),
      NbdProtocolError,
    );
  });
  it("refuses unknown bits", () => {
    assert.throws(() => checkClientFlags(5, true), /client flags 0x5 set bits the server did not offer/);
  });
});

describe("decodeOption", () => {
  const data = (b: Buffer) => b.subarray(16);

  it("decodes GO without information requests (nbd-client 3.24)", () => {
    assert.deepEqual(decodeOption(7, data(pkt.optGoDiskNoInfo)), { type: "go", name: "disk", requests: [] });
  });

  it("decodes INFO with three requests", () => {
    assert.deepEqual(decodeOption(6, data(pkt.optInfoDiskThree)), {
      type: "info",
      name: "disk",
      requests: [1, 2, 3],
    });
  });

  it("decodes SET_META_CONTEXT", () => {
    assert.deepEqual(decodeOption(10, data(pkt.optSetMetaBaseAllocation)), {
      type: "set-meta-context",
      exportName: "disk",
      queries: ["base:allocation"],
    });
  });

  it("decodes EXPORT_NAME, including the empty default name", () => {
    assert.deepEqual(decodeOption(1, data(pkt.optExportNameDisk)), { type: "export-name", name: "disk" });
    assert.deepEqual(decodeOption(1, Buffer.alloc(0)), { type: "export-name", name: "" });
  });

  it("decodes STARTTLS and unknown options as unsupported", () => {
    assert.deepEqual(decodeOption(5, Buffer.alloc(0)), { type: "unsupported", option: 5 });
    assert.deepEqual(decodeOption(0x1234, Buffer.alloc(3)), { type: "unsupported", option: 0x1234 });
  });

  it("ignores data on ABORT", () => {
    assert.deepEqual(decodeOption(2, Buffer.alloc(2)), { type: "abort" });
  });

  const invalid: [string, number, Buffer, RegExp][] = [
    ["LIST with data", NBD_OPT_LIST, Buffer.alloc(1), /NBD_OPT_LIST: 1 bytes of data, none allowed/],
    ["STRUCTURED_REPLY with data", 8, Buffer.alloc(4), /none allowed/],
    ["GO with a name past the end", 7, Buffer.from("0000000a6162", "hex"), /export name needs 10 bytes/],
    [
      "GO without the count",
      7,
      Buffer.from("0000000161", "hex"),
      /number of information requests needs 2 bytes/,
    ],
    ["GO with a short request list", 7, Buffer.from("000000016100020001", "hex"), /need 4 bytes, 2 sent/],
    [
      "GO with a NUL in the name",
      7,
      Buffer.from("0000000261000000", "hex"),
      /export name contains a NUL byte/,
    ],
    ["GO with invalid UTF-8", 7, Buffer.from("00000001ff0000", "hex"), /not valid UTF-8/],
    ["SET_META with a huge count", 10, Buffer.from("00000000ffffffff", "hex"), /cannot fit/],
    ["SET_META with trailing bytes", 10, Buffer.from("0000000000000000ff", "hex"), /trailing/],
  ];
  for (const [what, option, bytes, message] of invalid) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => decodeOption(option, bytes),
        (err: unknown) => {
          assert.ok(err instanceof NbdOptionError);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it("rejects a name over 4096 bytes", () => {
    assert.throws(
      () => decodeOption(1, Buffer.alloc(4097, 0x61)),
      /4097 bytes, longer than the 4096 allowed/,
    );
  });
});

describe("client-side encoders match proto.md bytes", () => {
  it("encodes GO, INFO and SET_META_CONTEXT like the hand-built packets", () => {
    assert.equal(hex(encodeOption(7, encodeInfoRequestData("disk", []))), hex(pkt.optGoDiskNoInfo));
    assert.equal(hex(encodeOption(6, encodeInfoRequestData("disk", [1, 2, 3]))), hex(pkt.optInfoDiskThree));
    assert.equal(
      hex(encodeOption(10, encodeMetaContextRequestData("disk", ["base:allocation"]))),
      hex(pkt.optSetMetaBaseAllocation),
    );
  });
});
