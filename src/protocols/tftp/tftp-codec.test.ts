import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ackBlock, decode, encode, writeDataHeader } from "./tftp-codec.js";
import { TftpDecodeError } from "./tftp-decode-error.js";
import { Opcode, type TftpPacket } from "./tftp-packet.js";

/**
 * Test packets, byte by byte as RFC 1350 section 5 draws them:
 *   RRQ/WRQ | 01/02 | filename | 0 | mode | 0 |  (+ RFC 2347: opt | 0 | value | 0 ...)
 *   DATA    | 03 | block# | data |
 *   ACK     | 04 | block# |
 *   ERROR   | 05 | code | message | 0 |
 *   OACK    | 06 | opt | 0 | value | 0 | ...   (RFC 2347)
 */
function packet(opcode: number, ...parts: (string | number[] | Buffer)[]): Buffer {
  const head = Buffer.from([0, opcode]);
  return Buffer.concat([
    head,
    ...parts.map((p) => (typeof p === "string" ? Buffer.from(`${p}\0`, "latin1") : Buffer.from(p))),
  ]);
}

describe("tftp codec: decode", () => {
  it("decodes a plain RRQ (tftp-hpa's, no options)", () => {
    const p = decode(packet(1, "pxelinux.0", "octet"));
    assert.deepEqual(p, { opcode: Opcode.RRQ, filename: "pxelinux.0", mode: "octet", options: [] });
  });

  it("decodes iPXE's RRQ with blksize and tsize, lower-casing names and mode", () => {
    const p = decode(packet(1, "boot/x.ipxe", "OCTET", "BLKSIZE", "1432", "tsize", "0"));
    assert.deepEqual(p, {
      opcode: Opcode.RRQ,
      filename: "boot/x.ipxe",
      mode: "octet",
      options: [
        { name: "blksize", value: "1432" },
        { name: "tsize", value: "0" },
      ],
    });
  });

  it("decodes OVMF's RRQ (tsize, blksize, windowsize)", () => {
    const p = decode(packet(1, "/grubx64.efi", "octet", "tsize", "0", "blksize", "1468", "windowsize", "4"));
    assert.equal(p.opcode, Opcode.RRQ);
    if (p.opcode !== Opcode.RRQ) return;
    assert.deepEqual(
      p.options.map((o) => o.name),
      ["tsize", "blksize", "windowsize"],
    );
  });

  it("decodes a WRQ", () => {
    const p = decode(packet(2, "upload", "netascii"));
    assert.equal(p.opcode, Opcode.WRQ);
  });

  it("ignores NUL padding and an incomplete last option, as some PXE ROMs send them", () => {
    const padded = Buffer.concat([packet(1, "a", "octet", "blksize", "1408"), Buffer.alloc(5)]);
    const p = decode(padded);
    assert.deepEqual(p.opcode === Opcode.RRQ && p.options, [{ name: "blksize", value: "1408" }]);
    const half = decode(packet(1, "a", "octet", "tsize"));
    assert.deepEqual(half.opcode === Opcode.RRQ && half.options, []);
    const unterminated = decode(Buffer.concat([packet(1, "a", "octet"), Buffer.from("blksize")]));
    assert.deepEqual(unterminated.opcode === Opcode.RRQ && unterminated.options, []);
  });

  it("decodes DATA without copying the payload", () => {
    const buf = packet(3, [0x12, 0x34], Buffer.from("hello"));
    const p = decode(buf);
    assert.equal(p.opcode, Opcode.DATA);
    if (p.opcode !== Opcode.DATA) return;
    assert.equal(p.block, 0x1234);
    assert.equal(p.data.toString(), "hello");
    assert.equal(p.data.buffer, buf.buffer);
  });

  it("decodes ACK, ERROR and OACK", () => {
    assert.deepEqual(decode(packet(4, [0xff, 0xff])), { opcode: Opcode.ACK, block: 65535 });
    assert.deepEqual(decode(packet(4, [0, 7, 0, 0])), { opcode: Opcode.ACK, block: 7 });
    assert.deepEqual(decode(packet(5, [0, 8], "aborted")), {
      opcode: Opcode.ERROR,
      code: 8,
      message: "aborted",
    });
    // A message without its NUL is still read (informative only).
    assert.deepEqual(decode(Buffer.from([0, 5, 0, 1, 0x41])), {
      opcode: Opcode.ERROR,
      code: 1,
      message: "A",
    });
    assert.deepEqual(decode(packet(6, "tsize", "1234")), {
      opcode: Opcode.OACK,
      options: [{ name: "tsize", value: "1234" }],
    });
  });

  const bad: [string, Buffer, string][] = [
    ["empty", Buffer.alloc(0), "packet is 0 bytes, shorter than the 2-byte opcode"],
    ["one byte", Buffer.from([0]), "packet is 1 bytes, shorter than the 2-byte opcode"],
    ["opcode 0", Buffer.from([0, 0]), "unknown opcode 0"],
    ["opcode 7", Buffer.from([0, 7, 1, 2]), "unknown opcode 7"],
    ["opcode 256", Buffer.from([1, 0]), "unknown opcode 256"],
    ["RRQ without filename NUL", Buffer.from([0, 1, 0x61, 0x62]), "RRQ: filename is not NUL-terminated"],
    ["RRQ without mode", Buffer.from([0, 1, 0x61, 0]), "RRQ: mode is missing or not NUL-terminated"],
    [
      "WRQ mode without NUL",
      Buffer.from([0, 2, 0x61, 0, 0x6f]),
      "WRQ: mode is missing or not NUL-terminated",
    ],
    ["RRQ filename not UTF-8", packet(1, [0xff, 0xfe, 0], "octet"), "RRQ: filename is not valid UTF-8"],
    ["DATA short", Buffer.from([0, 3, 0]), "DATA: packet is 3 bytes, shorter than the 4-byte header"],
    ["ACK short", Buffer.from([0, 4, 0]), "ACK: packet is 3 bytes, shorter than 4"],
    ["ERROR short", Buffer.from([0, 5, 0]), "ERROR: packet is 3 bytes, shorter than the 4-byte header"],
  ];
  for (const [name, buf, message] of bad) {
    it(`refuses ${name} with an exact message`, () => {
      assert.throws(
        () => decode(buf),
        (e: unknown) => e instanceof TftpDecodeError && e.message === message,
      );
    });
  }

  it("never throws anything but TftpDecodeError on any prefix of valid packets", () => {
    const samples = [
      packet(1, "a/b.cfg", "octet", "blksize", "1468", "tsize", "0", "windowsize", "4"),
      packet(3, [0, 1], Buffer.alloc(20, 7)),
      packet(5, [0, 2], "Access violation"),
      packet(6, "blksize", "1432"),
    ];
    for (const s of samples) {
      for (let n = 0; n <= s.length; n++) {
        try {
          decode(s.subarray(0, n));
        } catch (e) {
          assert.ok(e instanceof TftpDecodeError, `prefix ${n}: ${String(e)}`);
        }
      }
    }
  });

  it("reads ACK blocks on the fast path", () => {
    assert.equal(ackBlock(Buffer.from([0, 4, 1, 2])), 0x102);
    assert.equal(ackBlock(Buffer.from([0, 4, 1])), -1);
    assert.equal(ackBlock(Buffer.from([0, 5, 1, 2])), -1);
  });
});

describe("tftp codec: encode", () => {
  const packets: TftpPacket[] = [
    { opcode: Opcode.RRQ, filename: "pxelinux.cfg/default", mode: "octet", options: [] },
    {
      opcode: Opcode.RRQ,
      filename: "x",
      mode: "netascii",
      options: [
        { name: "blksize", value: "1408" },
        { name: "tsize", value: "0" },
      ],
    },
    { opcode: Opcode.WRQ, filename: "up", mode: "octet", options: [] },
    { opcode: Opcode.DATA, block: 65535, data: Buffer.from("abc") },
    { opcode: Opcode.DATA, block: 0, data: Buffer.alloc(0) },
    { opcode: Opcode.ACK, block: 0 },
    { opcode: Opcode.ERROR, code: 2, message: "Access violation" },
    { opcode: Opcode.OACK, options: [{ name: "tsize", value: "1048576" }] },
  ];
  for (const p of packets) {
    it(`round-trips ${JSON.stringify(p).slice(0, 70)}`, () => {
      assert.deepEqual(decode(encode(p)), p);
    });
  }

  it("writes the exact RFC 1350 bytes", () => {
    assert.deepEqual(encode({ opcode: Opcode.ACK, block: 258 }), Buffer.from([0, 4, 1, 2]));
    assert.deepEqual(
      encode({ opcode: Opcode.ERROR, code: 1, message: "File not found" }),
      packet(5, [0, 1], "File not found"),
    );
    assert.deepEqual(
      encode({ opcode: Opcode.OACK, options: [{ name: "blksize", value: "1432" }] }),
      packet(6, "blksize", "1432"),
    );
  });

  it("refuses values it cannot encode", () => {
    assert.throws(() => encode({ opcode: Opcode.ACK, block: 65536 }), RangeError);
    assert.throws(
      () => encode({ opcode: Opcode.RRQ, filename: "a\0b", mode: "octet", options: [] }),
      RangeError,
    );
    assert.throws(() => encode({ opcode: Opcode.ERROR, code: -1, message: "" }), RangeError);
  });

  it("writes DATA headers in place, rolling block numbers over at 16 bits", () => {
    const b = Buffer.alloc(6, 9);
    writeDataHeader(b, 65536 + 3);
    assert.deepEqual(b, Buffer.from([0, 3, 0, 3, 9, 9]));
  });
});
