import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeClientArch, decodeClientNdi, decodeClientUuid } from "./client-system-options.js";
import { DhcpCodecError } from "./dhcp-codec-error.js";
import { decodeIpxeOptions } from "./ipxe-options.js";
import {
  decodePxeVendorOptions,
  encodePxeVendorOptions,
  PXE_DISCOVERY_USE_BOOTFILE,
} from "./pxe-vendor-options.js";
import { decodeRelayAgentInfo } from "./relay-agent-info.js";
import { decodeUserClass, encodeUserClass } from "./user-class.js";

describe("option 43, PXE vendor options (PXE spec 2.1 table 2-1)", () => {
  test("discovery control, boot servers, menu, prompt, boot item round-trip", () => {
    const pxe = {
      discoveryControl: PXE_DISCOVERY_USE_BOOTFILE | 0x03,
      bootServers: [{ type: 0x8000, addresses: ["198.18.10.1", "198.18.10.2"] }],
      bootMenu: [
        { type: 0x8000, description: "bootfleet" },
        { type: 0, description: "Local boot" },
      ],
      menuPrompt: { timeout: 5, prompt: "Press F8 for menu" },
      bootItem: { type: 0x8000, layer: 0 },
    };
    const wire = encodePxeVendorOptions(pxe);
    assert.equal(wire[wire.length - 1], 255);
    const back = decodePxeVendorOptions(wire);
    assert.equal(back.discoveryControl, 0x0b);
    assert.deepEqual(back.bootServers, pxe.bootServers);
    assert.deepEqual(back.bootMenu, pxe.bootMenu);
    assert.deepEqual(back.menuPrompt, pxe.menuPrompt);
    assert.deepEqual(back.bootItem, pxe.bootItem);
  });
  test("a boot menu entry running past the sub-option is an error", () => {
    const wire = Buffer.from([9, 4, 0x80, 0x00, 9, 0x61, 255]);
    assert.throws(() => decodePxeVendorOptions(wire), /sub-option 9: entry at 0 says 9 bytes past the end/);
    assert.throws(() => decodePxeVendorOptions(Buffer.from([6, 5, 1])), DhcpCodecError);
  });
});

describe("option 77, user class", () => {
  test("RFC 3004 form", () => {
    assert.deepEqual(decodeUserClass(encodeUserClass(["lab3", "kiosk"])), {
      classes: ["lab3", "kiosk"],
      raw: false,
    });
  });
  test("iPXE's raw 'iPXE' (no length prefix)", () => {
    assert.deepEqual(decodeUserClass(Buffer.from("iPXE")), { classes: ["iPXE"], raw: true });
  });
});

describe("RFC 4578 options", () => {
  test("93 arch, 94 NDI, 97 UUID", () => {
    assert.deepEqual(decodeClientArch(Buffer.from([0, 7])), [7]);
    assert.throws(() => decodeClientArch(Buffer.from([0])), /option 93/);
    assert.deepEqual(decodeClientNdi(Buffer.from([1, 3, 16])), { type: 1, major: 3, minor: 16 });
    const uuid = Buffer.concat([Buffer.from([0]), Buffer.from("00112233445566778899aabbccddeeff", "hex")]);
    assert.equal(decodeClientUuid(uuid), "00112233-4455-6677-8899-aabbccddeeff");
    assert.throws(() => decodeClientUuid(uuid.subarray(0, 10)), /option 97/);
  });
});

describe("option 82 and 175", () => {
  test("relay agent sub-options have no pad/end", () => {
    const m = decodeRelayAgentInfo(Buffer.from([1, 2, 0xaa, 0xbb, 2, 1, 0]));
    assert.deepEqual(m.get(1), Buffer.from([0xaa, 0xbb]));
    assert.deepEqual(m.get(2), Buffer.from([0]));
    assert.throws(() => decodeRelayAgentInfo(Buffer.from([1, 5, 0])), /option 82 sub-option 1/);
  });
  test("iPXE feature flags", () => {
    const m = decodeIpxeOptions(Buffer.from([0x13, 1, 1, 0x24, 1, 1, 255]));
    assert.equal(m.size, 2);
  });
});
