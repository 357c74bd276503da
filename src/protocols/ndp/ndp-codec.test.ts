import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { capturedIcmpv6 } from "../../../test/fixtures/ndp/captured-icmpv6.js";
import { decodeNdp } from "./decode-ndp.js";
import { encodeNdp } from "./encode-ndp.js";
import { NdpDecodeError } from "./ndp-decode-error.js";
import { NdpType, type RouterAdvertisement } from "./ndp-message.js";

/**
 * Test messages, byte by byte as RFC 4861 draws them (checksum left 0):
 *   §4.1 RS | 133 | code | checksum(2) | reserved(4) | options...
 *   §4.2 RA | 134 | code | checksum(2) | cur hop limit | M O reserved | router lifetime(2)
 *           | reachable time(4) | retrans timer(4) | options...
 *   §4.6    option | type | length in 8-byte units | data...
 */
function message(type: number, code: number, header: number[], ...options: number[][]): Buffer {
  return Buffer.from([type, code, 0, 0, ...header, ...options.flat()]);
}
const slla = (...mac: number[]): number[] => [1, 1, ...mac];
const advertisementHeader = [64, 0xc0, 0x07, 0x08, 0, 0, 0x75, 0x30, 0, 0, 0x03, 0xe8];

function decodeError(buf: Buffer): string {
  try {
    decodeNdp(buf);
  } catch (e) {
    assert.ok(e instanceof NdpDecodeError, `not an NdpDecodeError: ${e}`);
    return e.message;
  }
  assert.fail(`decoded ${buf.toString("hex")}`);
}

describe("ndp codec: decode", () => {
  it("decodes the router solicitations QEMU's iPXE ROM sends while it waits for a router", () => {
    const captured = capturedIcmpv6("ipxe-bios");
    assert.ok(captured.length > 1, "the capture holds iPXE's retransmissions");
    for (const c of captured) {
      assert.equal(c.hopLimit, 255);
      assert.equal(c.destination, "ff02::2");
      assert.deepEqual(decodeNdp(c.body), {
        type: NdpType.ROUTER_SOLICITATION,
        sourceLinkLayer: "52:54:00:11:00:01",
      });
    }
  });

  it("decodes the router solicitation of a Linux interface coming up", () => {
    const [c] = capturedIcmpv6("linux");
    assert.equal(c?.source, "fe80::5054:ff:fe11:2");
    assert.deepEqual(decodeNdp(c!.body), {
      type: NdpType.ROUTER_SOLICITATION,
      sourceLinkLayer: "52:54:00:11:00:02",
    });
  });

  it("decodes a solicitation without options (one sent from the unspecified address)", () => {
    assert.deepEqual(decodeNdp(message(133, 0, [0, 0, 0, 0])), {
      type: NdpType.ROUTER_SOLICITATION,
      sourceLinkLayer: undefined,
    });
  });

  it("decodes an advertisement's flags, lifetimes, timers and options, skipping unknown options", () => {
    const m = decodeNdp(
      message(
        134,
        0,
        advertisementHeader,
        [25, 3, ...new Array(22).fill(0)],
        slla(2, 0, 0, 0, 0, 1),
        [5, 1, 0, 0, 0, 0, 5, 0xdc],
      ),
    );
    assert.deepEqual(m, {
      type: NdpType.ROUTER_ADVERTISEMENT,
      curHopLimit: 64,
      managed: true,
      other: true,
      routerLifetime: 1800,
      reachableTime: 30000,
      retransTimer: 1000,
      sourceLinkLayer: "02:00:00:00:00:01",
      mtu: 1500,
    });
  });

  it("refuses what RFC 4861 §6.1 says to discard, each with its reason", () => {
    assert.equal(decodeError(Buffer.alloc(0)), "ICMPv6 message of 0 bytes: shorter than its 4-byte header");
    assert.equal(
      decodeError(message(128, 0, [0, 1, 0, 1])),
      "ICMPv6 type 128 is not a router solicitation (133) or advertisement (134)",
    );
    assert.equal(
      decodeError(message(133, 1, [0, 0, 0, 0])),
      "router solicitation: code 1, RFC 4861 §6.1 requires 0",
    );
    assert.equal(
      decodeError(message(133, 0, [0, 0])),
      "router solicitation of 6 bytes: shorter than its 8-byte header",
    );
    assert.equal(
      decodeError(message(134, 0, advertisementHeader.slice(0, 8))),
      "router advertisement of 12 bytes: shorter than its 16-byte header",
    );
    assert.equal(
      decodeError(message(133, 0, [0, 0, 0, 0], [1, 0, 1, 2, 3, 4, 5, 6])),
      "router solicitation: option 1 at byte 8 has length 0",
    );
    assert.equal(
      decodeError(message(133, 0, [0, 0, 0, 0], [1, 2, 1, 2, 3, 4, 5, 6])),
      "router solicitation: option 1 at byte 8 claims 16 bytes, 8 left",
    );
    assert.equal(
      decodeError(message(133, 0, [0, 0, 0, 0], slla(1, 2, 3, 4, 5, 6), [9])),
      "router solicitation: option at byte 16: 1 byte left, an option header is 2",
    );
    assert.equal(
      decodeError(message(134, 0, advertisementHeader, [5, 2, ...new Array(14).fill(0)])),
      "router advertisement: MTU option of 16 bytes, RFC 4861 §4.6.4 makes it 8",
    );
  });

  it("cut at every byte, a message decodes or raises NdpDecodeError, nothing else", () => {
    for (const whole of [
      capturedIcmpv6("ipxe-bios")[0]!.body,
      message(134, 0, advertisementHeader, slla(2, 0, 0, 0, 0, 1), [5, 1, 0, 0, 0, 0, 5, 0xdc]),
    ]) {
      for (let n = 0; n < whole.length; n++) {
        const part = whole.subarray(0, n);
        try {
          decodeNdp(part);
          // Only a cut between options leaves a whole message.
          assert.ok(n === 8 || n === 16 || n === 24, `a ${n}-byte cut decoded`);
        } catch (e) {
          assert.ok(e instanceof NdpDecodeError, `${n} bytes: ${e}`);
        }
      }
    }
  });

  it("garbage raises only NdpDecodeError", () => {
    let state = 19;
    const next = () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state >> 16;
    };
    for (let i = 0; i < 5000; i++) {
      const buf = Buffer.alloc(next() % 80);
      for (let j = 0; j < buf.length; j++) buf[j] = next() & 0xff;
      if (buf.length > 0 && i % 2 === 0) buf[0] = 133 + (i % 4 === 0 ? 1 : 0);
      if (buf.length > 1 && i % 3 !== 0) buf[1] = 0;
      try {
        decodeNdp(buf);
      } catch (e) {
        assert.ok(e instanceof NdpDecodeError, `${buf.toString("hex")}: ${e}`);
      }
    }
  });
});

describe("ndp codec: encode", () => {
  const advertisement: RouterAdvertisement = {
    type: NdpType.ROUTER_ADVERTISEMENT,
    curHopLimit: 0,
    managed: false,
    other: false,
    routerLifetime: 0,
    reachableTime: 0,
    retransTimer: 0,
  };

  it("writes the advertisement that is not a default router: 16 bytes, all zero but the type", () => {
    assert.deepEqual(encodeNdp(advertisement), message(134, 0, new Array(12).fill(0)));
  });

  it("writes flags, lifetimes, the link-layer address and the MTU where RFC 4861 §4.2 and §4.6 put them", () => {
    const full: RouterAdvertisement = {
      ...advertisement,
      curHopLimit: 64,
      managed: true,
      other: true,
      routerLifetime: 1800,
      reachableTime: 30000,
      retransTimer: 1000,
      sourceLinkLayer: "02:00:00:00:00:01",
      mtu: 1500,
    };
    const bytes = encodeNdp(full);
    assert.deepEqual(
      bytes,
      message(134, 0, advertisementHeader, slla(2, 0, 0, 0, 0, 1), [5, 1, 0, 0, 0, 0, 5, 0xdc]),
    );
    assert.deepEqual(decodeNdp(bytes), full);
  });

  it("writes a solicitation as iPXE sends one, but for the checksum the kernel fills", () => {
    const ipxe = capturedIcmpv6("ipxe-bios")[0]!.body;
    const ours = encodeNdp({ type: NdpType.ROUTER_SOLICITATION, sourceLinkLayer: "52:54:00:11:00:01" });
    assert.deepEqual(ours, Buffer.concat([ipxe.subarray(0, 2), Buffer.alloc(2), ipxe.subarray(4)]));
  });

  it("refuses a link-layer address that is not hex bytes", () => {
    assert.throws(
      () => encodeNdp({ ...advertisement, sourceLinkLayer: "52:54:zz" }),
      /link-layer address '52:54:zz' is not colon-separated hex bytes/,
    );
  });
});
