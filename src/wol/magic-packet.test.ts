import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { broadcastAddress } from "./broadcast-address.js";
import { buildMagicPacket } from "./magic-packet.js";

describe("magic packet", () => {
  it("is 6 x ff then the MAC 16 times, whatever form the MAC is written in", () => {
    const want = Buffer.concat([
      Buffer.alloc(6, 0xff),
      ...Array(16).fill(Buffer.from("525400123456", "hex")),
    ]);
    for (const mac of [
      "52:54:00:12:34:56",
      "52-54-00-12-34-56",
      "5254.0012.3456",
      "525400123456",
      "52:54:0:12:34:56",
    ]) {
      assert.deepEqual(buildMagicPacket(mac), want, mac);
    }
    assert.equal(want.length, 102);
  });

  it("appends a SecureOn password of 6 or 4 bytes", () => {
    const six = buildMagicPacket("52:54:00:12:34:56", "de:ad:be:ef:00:01");
    assert.equal(six.length, 108);
    assert.deepEqual(six.subarray(102), Buffer.from("deadbeef0001", "hex"));
    const four = buildMagicPacket("52:54:00:12:34:56", "192.0.2.7");
    assert.deepEqual(four.subarray(102), Buffer.from([192, 0, 2, 7]));
    const raw = buildMagicPacket("52:54:00:12:34:56", Uint8Array.from([1, 2, 3, 4, 5, 6]));
    assert.deepEqual(raw.subarray(102), Buffer.from([1, 2, 3, 4, 5, 6]));
  });

  it("refuses what cannot be sent, naming why", () => {
    const cases: [() => unknown, string][] = [
      [
        () => buildMagicPacket("52:54:00:12:34"),
        "wol: '52:54:00:12:34' is not a MAC address (write it as aa:bb:cc:dd:ee:ff)",
      ],
      [
        () => buildMagicPacket("lab3-14"),
        "wol: 'lab3-14' is not a MAC address (write it as aa:bb:cc:dd:ee:ff)",
      ],
      [
        () => buildMagicPacket("52:54:00:12:34:56", "01:02:03"),
        "wol: SecureOn password has 3 bytes; it has 4 or 6",
      ],
      [
        () => buildMagicPacket("52:54:00:12:34:56", "1.2.3.300"),
        "wol: SecureOn password '1.2.3.300': an octet is above 255",
      ],
      [
        () => buildMagicPacket("52:54:00:12:34:56", "secret"),
        "wol: SecureOn password 'secret' is neither aa:bb:cc:dd:ee:ff nor a.b.c.d",
      ],
      [
        () => broadcastAddress("198.18.40.0/33"),
        "wol: '198.18.40.0/33' is not a network (write it as 198.18.0.0/24)",
      ],
    ];
    for (const [fn, message] of cases) assert.throws(fn, { name: "WolError", message });
  });

  it("goes to the network's broadcast address", () => {
    assert.equal(broadcastAddress("198.18.40.0/24"), "198.18.40.255");
    assert.equal(broadcastAddress("198.18.40.128/25"), "198.18.40.255");
    assert.equal(broadcastAddress("198.18.40.17/28"), "198.18.40.31");
    assert.equal(broadcastAddress("198.18.0.0/15"), "198.19.255.255");
  });
});
