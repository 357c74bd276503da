import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BOOTREPLY, DhcpMessageType, FLAG_BROADCAST, Opt } from "../protocols/dhcp/dhcp-message.js";
import { decodeDhcp } from "../protocols/dhcp/decode-dhcp.js";
import { ipOption, uint8Option } from "../protocols/dhcp/dhcp-option-values.js";
import { encodeDhcp } from "../protocols/dhcp/encode-dhcp.js";
import { macToChaddr } from "../protocols/dhcp/make-client-packet.js";
import type { DhcpSocketBinder, DhcpUdpSocket } from "../services/dhcp/dhcp-udp-socket.js";
import { probeDhcp } from "./probe-dhcp.js";

const MAC = "52:54:00:00:00:01";

/** An in-memory UDP socket: records what is sent, and lets the test deliver datagrams. */
class FakeSocket implements DhcpUdpSocket {
  readonly sent: { msg: Buffer; port: number; address: string }[] = [];
  readonly #listeners: ((msg: Buffer, rinfo: { address: string; port: number }) => void)[] = [];
  closed = false;
  constructor(
    readonly bound: string,
    readonly port: number,
    readonly onSend: (msg: Buffer) => void,
  ) {}
  send(msg: Buffer, port: number, address: string, callback: (error: Error | null) => void): void {
    this.sent.push({ msg, port, address });
    callback(null);
    this.onSend(msg);
  }
  on(event: "message" | "error", listener: never): this {
    if (event === "message") this.#listeners.push(listener);
    return this;
  }
  address() {
    return { address: this.bound, port: this.port };
  }
  close(): void {
    this.closed = true;
  }
  deliver(msg: Buffer, from: string): void {
    for (const l of this.#listeners) l(msg, { address: from, port: 67 });
  }
}

/** An OFFER as a DHCP server sends it (RFC 2131 §4.3.1), or a variant of one. */
function offer(
  xid: number,
  o: { yiaddr?: string; server?: string; type?: number; mac?: string } = {},
): Buffer {
  const options = new Map<number, Buffer>([[Opt.MESSAGE_TYPE, uint8Option(o.type ?? DhcpMessageType.OFFER)]]);
  if (o.server) options.set(Opt.SERVER_ID, ipOption(o.server));
  return encodeDhcp({
    op: BOOTREPLY,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid,
    secs: 0,
    flags: FLAG_BROADCAST,
    ciaddr: "0.0.0.0",
    yiaddr: o.yiaddr ?? "198.18.0.57",
    siaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    chaddr: macToChaddr(o.mac ?? MAC),
    sname: "",
    file: "",
    options,
  });
}

/** A segment: the binder hands out fake sockets; `answer` runs when the DISCOVER is sent. */
function segment(answer: (discover: Buffer, listen: FakeSocket) => void) {
  const sockets: FakeSocket[] = [];
  const bind: DhcpSocketBinder = async (address, port) => {
    const s = new FakeSocket(address, port, (msg) => answer(msg, sockets[0]!));
    sockets.push(s);
    return s;
  };
  return { bind, sockets };
}

describe("probeDhcp", () => {
  it("one broadcast DISCOVER from our address on port 68; servers that offer an address are reported once", async () => {
    const net = segment((discover, listen) => {
      const { xid } = decodeDhcp(discover);
      listen.deliver(offer(xid, { server: "198.18.0.2", yiaddr: "198.18.0.57" }), "198.18.0.2");
      listen.deliver(offer(xid, { server: "198.18.0.2", yiaddr: "198.18.0.57" }), "198.18.0.2");
      // Through a relay: the relay sends, option 54 names the server.
      listen.deliver(offer(xid, { server: "198.18.9.1", yiaddr: "198.18.0.80" }), "198.18.0.254");
    });
    const r = await probeDhcp({ address: "198.18.0.1", mac: MAC, bind: net.bind, waitMs: 10, xid: 0x1234 });
    assert.deepEqual(r, {
      ran: true,
      offers: [
        { server: "198.18.0.2", offered: "198.18.0.57", from: "198.18.0.2" },
        { server: "198.18.9.1", offered: "198.18.0.80", from: "198.18.0.254" },
      ],
    });
    const [listen, send] = net.sockets;
    assert.equal(`${listen!.bound}:${listen!.port}`, "0.0.0.0:68");
    assert.equal(`${send!.bound}:${send!.port}`, "198.18.0.1:68");
    assert.equal(listen!.sent.length, 0);
    assert.equal(send!.sent.length, 1);
    const { msg, port, address } = send!.sent[0]!;
    assert.equal(`${address}:${port}`, "255.255.255.255:67");
    const discover = decodeDhcp(msg);
    assert.equal(discover.messageType, DhcpMessageType.DISCOVER);
    assert.equal(discover.xid, 0x1234);
    assert.equal(discover.flags & FLAG_BROADCAST, FLAG_BROADCAST);
    assert.equal(
      discover.options.has(Opt.VENDOR_CLASS),
      false,
      "not a PXE client: proxyDHCP servers stay silent",
    );
    assert.ok(net.sockets.every((s) => s.closed));
  });

  it("ignores what is not an address offer to this DISCOVER: other xid, other MAC, proxyDHCP, ACK, garbage", async () => {
    const net = segment((discover, listen) => {
      const { xid } = decodeDhcp(discover);
      listen.deliver(offer(xid + 1, { server: "198.18.0.2" }), "198.18.0.2");
      listen.deliver(offer(xid, { server: "198.18.0.3", mac: "52:54:00:00:00:99" }), "198.18.0.3");
      listen.deliver(offer(xid, { server: "198.18.0.4", yiaddr: "0.0.0.0" }), "198.18.0.4");
      listen.deliver(offer(xid, { server: "198.18.0.5", type: DhcpMessageType.ACK }), "198.18.0.5");
      listen.deliver(Buffer.from("not dhcp"), "198.18.0.6");
      listen.deliver(discover, "198.18.0.1"); // our own broadcast, heard back
    });
    const r = await probeDhcp({ address: "198.18.0.1", mac: MAC, bind: net.bind, waitMs: 10 });
    assert.deepEqual(r, { ran: true, offers: [] });
  });

  it("says why it could not run: port 68 needs root, or is held", async () => {
    const refuse =
      (code: string): DhcpSocketBinder =>
      async () => {
        throw Object.assign(new Error(code), { code });
      };
    assert.deepEqual(
      await probeDhcp({ address: "198.18.0.1", mac: MAC, bind: refuse("EACCES"), waitMs: 10 }),
      {
        ran: false,
        reason: "binding UDP port 68 needs root (or CAP_NET_BIND_SERVICE)",
      },
    );
    const held = await probeDhcp({ address: "198.18.0.1", mac: MAC, bind: refuse("EADDRINUSE"), waitMs: 10 });
    assert.match(held.ran ? "" : held.reason, /port 68 is held by another program/);
  });
});
