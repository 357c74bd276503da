/**
 * The storm's DHCP requests carry what the firmware they stand for sends
 * (PXE spec 2.1 §2.2.1; RFC 4578 options 93, 94, 97; iPXE's 77 and 175),
 * read back through bootfleet's own decoders.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { firmwareDhcpRequest } from "../../bench/storm/firmware-dhcp-packets.js";
import {
  decodeClientArch,
  decodeClientNdi,
  decodeClientUuid,
} from "../../src/protocols/dhcp/client-system-options.js";
import { decodeDhcp } from "../../src/protocols/dhcp/decode-dhcp.js";
import { DhcpMessageType, FLAG_BROADCAST, Opt } from "../../src/protocols/dhcp/dhcp-message.js";
import { readIp, readText } from "../../src/protocols/dhcp/dhcp-option-values.js";
import { decodeUserClass } from "../../src/protocols/dhcp/user-class.js";

const MAC = "02:18:c8:00:01:02";

test("the PXE ROM's DISCOVER: PXEClient arch 0 UNDI 2.1, its UUID, no iPXE options", () => {
  const m = decodeDhcp(
    firmwareDhcpRequest("pxe-rom", { mac: MAC, xid: 7, type: DhcpMessageType.DISCOVER, secs: 0 }),
  );
  assert.equal(m.messageType, DhcpMessageType.DISCOVER);
  assert.equal(m.xid, 7);
  assert.equal(m.flags & FLAG_BROADCAST, FLAG_BROADCAST);
  assert.equal(m.chaddr.subarray(0, 6).toString("hex"), "0218c8000102");
  assert.equal(readText(m.options.get(Opt.VENDOR_CLASS)), "PXEClient:Arch:00000:UNDI:002001");
  assert.deepEqual(decodeClientArch(m.options.get(Opt.CLIENT_ARCH)!), [0]);
  assert.deepEqual(decodeClientNdi(m.options.get(94)!), { type: 1, major: 2, minor: 1 });
  assert.equal(decodeClientUuid(m.options.get(Opt.CLIENT_UUID)!), "00000000-0000-0000-0000-0218c8000102");
  assert.equal(m.options.has(77), false);
  assert.equal(m.options.has(175), false);
});

test("iPXE's REQUEST: user class iPXE, its 175 features, the offered address and server", () => {
  const m = decodeDhcp(
    firmwareDhcpRequest("ipxe", {
      mac: MAC,
      xid: 9,
      type: DhcpMessageType.REQUEST,
      secs: 1,
      requestedIp: "198.18.201.7",
      serverId: "198.18.200.1",
    }),
  );
  assert.equal(m.messageType, DhcpMessageType.REQUEST);
  assert.deepEqual(decodeUserClass(m.options.get(77)!).classes, ["iPXE"]);
  assert.ok(m.options.get(175)!.length > 0);
  assert.equal(readIp(m.options.get(Opt.REQUESTED_IP)), "198.18.201.7");
  assert.equal(readIp(m.options.get(Opt.SERVER_ID)), "198.18.200.1");
  assert.equal(m.options.get(Opt.CLIENT_ID)!.toString("hex"), "010218c8000102");
});
