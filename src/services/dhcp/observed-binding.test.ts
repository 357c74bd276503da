/**
 * Proxy mode's evidence of who is where, from client packets built the way
 * the clients send them (RFC 2131 §4.3.2 REQUEST states, PXE spec 2.1 §2.2.2
 * port 4011 requests): what each shows, and that the handler hands it on for
 * every client (PXE or not) in proxy mode only.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeDhcp } from "../../protocols/dhcp/decode-dhcp.js";
import { DhcpMessageType as T } from "../../protocols/dhcp/dhcp-message.js";
import { type ClientPacketSpec, makeClientPacket } from "../../protocols/dhcp/make-client-packet.js";
import type { DhcpInbound, DhcpListener } from "./dhcp-datagram.js";
import { makeHandlerFixture, TEST_FLEET } from "./dhcp-handler-fixture.js";
import { type DhcpBinding, observedBinding } from "./observed-binding.js";

const MAC = "52:54:00:10:00:21";
const PXE = "PXEClient:Arch:00007:UNDI:003000";

function inbound(spec: ClientPacketSpec, listener: DhcpListener, address = "0.0.0.0"): DhcpInbound {
  return { data: makeClientPacket(spec), address, port: 68, listener };
}

function seen(spec: ClientPacketSpec, listener: DhcpListener, address?: string): DhcpBinding | null {
  const i = inbound(spec, listener, address);
  return observedBinding(decodeDhcp(i.data), i);
}

describe("bindings seen in another server's DHCP exchanges", () => {
  test("a REQUEST to the other server names the address by option 50, or ciaddr when rebinding", () => {
    const selecting = { type: T.REQUEST, mac: MAC, requestedIp: "198.18.10.150", serverId: "198.18.10.2" };
    assert.deepEqual(seen(selecting, "dhcp"), { mac: MAC, ip: "198.18.10.150", source: "dhcp-request" });
    assert.deepEqual(seen({ type: T.REQUEST, mac: MAC, ciaddr: "198.18.10.151" }, "dhcp"), {
      mac: MAC,
      ip: "198.18.10.151",
      source: "dhcp-request",
    });
    // Relayed: the packet comes from the relay; the fields still name the client's address.
    assert.deepEqual(
      seen({ ...selecting, giaddr: "198.18.11.1", requestedIp: "198.18.11.70" }, "dhcp", "198.18.11.1"),
      { mac: MAC, ip: "198.18.11.70", source: "dhcp-request" },
    );
    for (const type of [T.DISCOVER, T.INFORM, T.RELEASE, T.DECLINE])
      assert.equal(seen({ type, mac: MAC, requestedIp: "198.18.10.150" }, "dhcp"), null, `type ${type}`);
    assert.equal(seen({ type: T.REQUEST, mac: MAC }, "dhcp"), null, "no address named");
  });

  test("a PXE request to port 4011 comes from the client's own address", () => {
    const pxe = { type: T.REQUEST, mac: MAC, ciaddr: "198.18.10.140", vendorClass: PXE, arch: 7 };
    assert.deepEqual(seen(pxe, "proxy", "198.18.10.140"), {
      mac: MAC,
      ip: "198.18.10.140",
      source: "pxe-request",
    });
    // ciaddr naming another address than the source: not believed.
    assert.equal(seen(pxe, "proxy", "198.18.10.66"), null);
    // Through a relay: ciaddr.
    assert.deepEqual(
      seen({ ...pxe, giaddr: "198.18.11.1", ciaddr: "198.18.11.71" }, "proxy", "198.18.11.1"),
      {
        mac: MAC,
        ip: "198.18.11.71",
        source: "pxe-request",
      },
    );
    assert.equal(seen({ type: T.DISCOVER, mac: MAC, vendorClass: PXE }, "proxy", "198.18.10.140"), null);
  });

  test("the proxy-mode handler hands on every client's binding; the full server keeps its own leases", async () => {
    const bindings: DhcpBinding[] = [];
    const proxy = await makeHandlerFixture(TEST_FLEET.replace("mode: full", "mode: proxy"), {
      onBinding: (b) => bindings.push(b),
    });
    // The initramfs's DHCP client is no PXE client: the proxy does not answer it, but it is seen.
    const request = { type: T.REQUEST, mac: MAC, requestedIp: "198.18.10.150", serverId: "198.18.10.2" };
    assert.deepEqual(await proxy.handler.handle(inbound(request, "dhcp")), []);
    await proxy.handler.handle(
      inbound(
        { type: T.REQUEST, mac: MAC, ciaddr: "198.18.10.150", vendorClass: PXE, arch: 7 },
        "proxy",
        "198.18.10.150",
      ),
    );
    assert.deepEqual(bindings, [
      { mac: MAC, ip: "198.18.10.150", source: "dhcp-request" },
      { mac: MAC, ip: "198.18.10.150", source: "pxe-request" },
    ]);
    const full = await makeHandlerFixture(TEST_FLEET, { onBinding: (b) => bindings.push(b) });
    await full.handler.handle(inbound(request, "dhcp"));
    assert.equal(bindings.length, 2);
  });
});
