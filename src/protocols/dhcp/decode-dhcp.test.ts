import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { pcapUdpPayloads } from "../pcap-udp-payloads.js";
import { decodeClientArch } from "./client-system-options.js";
import { DhcpCodecError } from "./dhcp-codec-error.js";
import { DhcpMessageType, MAGIC_COOKIE, Opt } from "./dhcp-message.js";
import { readText } from "./dhcp-option-values.js";
import { decodeDhcp } from "./decode-dhcp.js";
import { describeDhcp } from "./describe-dhcp.js";
import { encodeDhcp } from "./encode-dhcp.js";
import { makeClientPacket } from "./make-client-packet.js";
import { decodeUserClass } from "./user-class.js";

const fixtures = fileURLToPath(new URL("../../../test/fixtures/dhcp/", import.meta.url));
const discover = () => makeClientPacket({ type: DhcpMessageType.DISCOVER, mac: "52:54:00:00:00:01" });

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof DhcpCodecError, `expected DhcpCodecError, got ${String(err)}`);
    return err.code;
  }
  assert.fail("no error thrown");
}

describe("decodeDhcp on real captures (test/fixtures/dhcp/*.pcap)", () => {
  // Golden files: <name>.parsed.json beside each capture; UPDATE_GOLDEN=1 rewrites them.
  for (const name of readdirSync(fixtures).filter((f) => f.endsWith(".pcap"))) {
    test(name, () => {
      const datagrams = pcapUdpPayloads(readFileSync(join(fixtures, name)));
      assert.ok(datagrams.length > 0);
      const parsed = datagrams.map((d) => ({
        from: `${d.srcIp}:${d.srcPort}`,
        to: `${d.dstIp}:${d.dstPort}`,
        message: describeDhcp(decodeDhcp(d.payload)),
      }));
      const golden = join(fixtures, name.replace(/\.pcap$/, ".parsed.json"));
      const text = `${JSON.stringify(parsed, null, 2)}\n`;
      if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
      assert.equal(text, readFileSync(golden, "utf8"));
      // Every captured message survives encode -> decode unchanged.
      for (const d of datagrams) {
        const msg = decodeDhcp(d.payload);
        assert.deepEqual(decodeDhcp(encodeDhcp(msg)), msg);
      }
    });
  }

  test("iPXE's DISCOVER: PXEClient, arch 0, raw user class, option 175", () => {
    const [d] = pcapUdpPayloads(readFileSync(join(fixtures, "ipxe-bios.pcap")));
    const msg = decodeDhcp(d!.payload);
    assert.equal(msg.messageType, DhcpMessageType.DISCOVER);
    assert.match(readText(msg.options.get(Opt.VENDOR_CLASS))!, /^PXEClient:Arch:00000:UNDI:002001$/);
    assert.deepEqual(decodeClientArch(msg.options.get(Opt.CLIENT_ARCH)!), [0]);
    // iPXE sends "iPXE" with no RFC 3004 length octet.
    assert.deepEqual(decodeUserClass(msg.options.get(Opt.USER_CLASS)!), { classes: ["iPXE"], raw: true });
    assert.ok(msg.options.has(Opt.IPXE_ENCAPSULATED));
  });

  test("OVMF's DISCOVER: arch 7 (x64 UEFI)", () => {
    const [d] = pcapUdpPayloads(readFileSync(join(fixtures, "ovmf.pcap")));
    const msg = decodeDhcp(d!.payload);
    assert.deepEqual(decodeClientArch(msg.options.get(Opt.CLIENT_ARCH)!), [7]);
  });
});

describe("decodeDhcp rejects malformed input with an exact error", () => {
  test("truncated below header + cookie", () => {
    assert.equal(
      codeOf(() => decodeDhcp(discover().subarray(0, 239))),
      "truncated",
    );
    assert.equal(
      codeOf(() => decodeDhcp(Buffer.alloc(0))),
      "truncated",
    );
  });
  test("oversized", () => {
    const big = Buffer.concat([discover(), Buffer.alloc(2000)]);
    assert.equal(
      codeOf(() => decodeDhcp(big)),
      "oversized",
    );
  });
  test("wrong magic cookie", () => {
    const b = discover();
    b.writeUInt32BE(MAGIC_COOKIE ^ 1, 236);
    assert.throws(() => decodeDhcp(b), /magic cookie is 0x63825362, not 0x63825363/);
  });
  test("bad op and hlen", () => {
    const b = discover();
    b[0] = 3;
    assert.equal(
      codeOf(() => decodeDhcp(b)),
      "bad-op",
    );
    const c = discover();
    c[2] = 17;
    assert.equal(
      codeOf(() => decodeDhcp(c)),
      "bad-hlen",
    );
  });
  test("option length past the end", () => {
    const head = discover().subarray(0, 240);
    const b = Buffer.concat([head, Buffer.from([53, 1, 1, 60, 20, 0x41, 0x42])]);
    assert.throws(
      () => decodeDhcp(b),
      /option 60 at offset 243 of the options field says 20 bytes, only 2 left/,
    );
    const c = Buffer.concat([head, Buffer.from([53, 1, 1, 60])]);
    assert.equal(
      codeOf(() => decodeDhcp(c)),
      "option-overrun",
    );
  });
  test("overload loops and duplicates are refused", () => {
    const head = Buffer.from(discover().subarray(0, 240));
    // file field (offset 108) holds option 52 again: a loop.
    Buffer.from([52, 1, 1, 255]).copy(head, 108);
    const loop = Buffer.concat([head, Buffer.from([53, 1, 1, 52, 1, 1, 255])]);
    assert.throws(() => decodeDhcp(loop), /option 52 \(overload\) inside the file field/);
    const twice = Buffer.concat([discover().subarray(0, 240), Buffer.from([52, 1, 1, 52, 1, 2, 255])]);
    assert.throws(() => decodeDhcp(twice), /appears twice/);
    const bad = Buffer.concat([discover().subarray(0, 240), Buffer.from([52, 1, 4, 255])]);
    assert.equal(
      codeOf(() => decodeDhcp(bad)),
      "bad-overload",
    );
  });
  test("message type must be one octet 1..8", () => {
    const b = Buffer.concat([discover().subarray(0, 240), Buffer.from([53, 1, 9, 255])]);
    assert.equal(
      codeOf(() => decodeDhcp(b)),
      "bad-option-value",
    );
  });
});

describe("decodeDhcp option handling", () => {
  test("options in file and sname under option 52 (RFC 2132 §9.3), read options, file, sname", () => {
    const head = Buffer.from(discover().subarray(0, 240));
    head.fill(0, 44, 236);
    Buffer.from([12, 3, 0x61, 0x62, 0x63, 255]).copy(head, 108); // file: hostname "abc"
    Buffer.from([12, 2, 0x64, 0x65, 255]).copy(head, 44); // sname: more hostname "de"
    const b = Buffer.concat([head, Buffer.from([53, 1, 1, 52, 1, 3, 255])]);
    const msg = decodeDhcp(b);
    // RFC 3396 §7: instances concatenate in the order options, file, sname.
    assert.equal(readText(msg.options.get(Opt.HOSTNAME)), "abcde");
    assert.equal(msg.file, "");
    assert.equal(msg.sname, "");
    assert.equal(msg.options.has(Opt.OVERLOAD), false);
  });
  test("a missing END is tolerated; padding is skipped", () => {
    const b = Buffer.concat([discover().subarray(0, 240), Buffer.from([0, 0, 53, 1, 3])]);
    assert.equal(decodeDhcp(b).messageType, 3);
  });
  test("BOOTP message (no option 53) has messageType null", () => {
    const b = Buffer.concat([discover().subarray(0, 240), Buffer.from([255])]);
    assert.equal(decodeDhcp(b).messageType, null);
  });
});

describe("encodeDhcp", () => {
  test("pads to 300 octets and puts option 53 first", () => {
    const b = discover();
    assert.ok(b.length >= 300);
    assert.deepEqual([...b.subarray(240, 243)], [53, 1, 1]);
  });
  test("options one after the other from offset 240, then END, then zeros to 300 octets", () => {
    const msg = decodeDhcp(discover());
    const options = new Map([
      [Opt.MESSAGE_TYPE, Buffer.from([2])],
      [Opt.SERVER_ID, Buffer.from([198, 18, 10, 1])],
      [Opt.HOSTNAME, Buffer.alloc(0)],
    ]);
    const b = encodeDhcp({ ...msg, op: 2, options, sname: "", file: "" });
    assert.equal(b.length, 300);
    assert.deepEqual([...b.subarray(236, 251)], [99, 130, 83, 99, 53, 1, 2, 54, 4, 198, 18, 10, 1, 12, 0]);
    assert.equal(b[251], 255);
    assert.ok(b.subarray(252).every((x) => x === 0));
    assert.ok(
      b.subarray(44, 236).every((x) => x === 0),
      "sname and file zeroed",
    );
  });
  test("refuses option codes that cannot be set, in either layout", () => {
    const msg = decodeDhcp(discover());
    for (const code of [Opt.PAD, Opt.OVERLOAD, Opt.END, 256]) {
      assert.equal(
        codeOf(() => encodeDhcp({ ...msg, options: new Map([[code, Buffer.from([1])]]) })),
        "bad-option-value",
      );
      const long = new Map([[code, Buffer.alloc(300)]]);
      assert.equal(
        codeOf(() => encodeDhcp({ ...msg, options: long }, 1400)),
        "bad-option-value",
      );
    }
  });
  test("values over 255 bytes are split and rejoined (RFC 3396)", () => {
    const msg = decodeDhcp(discover());
    const long = Buffer.alloc(600, 0x61);
    const options = new Map(msg.options).set(Opt.ROOT_PATH, long);
    const out = decodeDhcp(encodeDhcp({ ...msg, options }, 1400));
    assert.deepEqual(out.options.get(Opt.ROOT_PATH), long);
  });
  test("spills into file then sname with option 52 when the client's max size is small", () => {
    const msg = decodeDhcp(discover());
    const options = new Map(msg.options)
      .set(200, Buffer.alloc(250, 1))
      .set(201, Buffer.alloc(120, 2))
      .set(202, Buffer.alloc(50, 3));
    const wire = encodeDhcp({ ...msg, options }, 576);
    assert.ok(wire.length <= 576);
    const out = decodeDhcp(wire);
    assert.deepEqual(out.options, options);
  });
  test("refuses what cannot fit", () => {
    const msg = decodeDhcp(discover());
    const options = new Map(msg.options).set(200, Buffer.alloc(1000, 1));
    assert.equal(
      codeOf(() => encodeDhcp({ ...msg, options }, 576)),
      "oversized",
    );
    assert.equal(
      codeOf(() => encodeDhcp({ ...msg, file: "x".repeat(128) })),
      "oversized",
    );
  });
});
