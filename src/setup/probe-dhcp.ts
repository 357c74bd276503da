/**
 * Asks one segment whether a DHCP server already answers there: one
 * DHCPDISCOVER out of one interface, then the OFFERs heard within a bounded
 * wait. Nothing is leased: a server that offers holds the address only
 * until the offer times out, since no REQUEST follows (RFC 2131 §4.3.1).
 *
 * Sockets are the DHCP service's own (dgramBinder in the CLI, fakes in
 * tests), bound the way it binds them:
 * - the DISCOVER leaves from a socket bound to our address on the chosen
 *   interface, so Linux sends the limited broadcast out of that interface
 *   only (see dhcp-service.ts: node:dgram has no SO_BINDTODEVICE);
 * - the OFFERs arrive on a socket bound to 0.0.0.0, the only kind Linux
 *   hands a 255.255.255.255 broadcast to. We set the broadcast flag (RFC 2131
 *   §4.1) because we hold no address to receive a unicast OFFER at.
 */
import { randomInt } from "node:crypto";
import { BOOTREPLY, DhcpMessageType, Opt } from "../protocols/dhcp/dhcp-message.js";
import { decodeDhcp } from "../protocols/dhcp/decode-dhcp.js";
import { readIp } from "../protocols/dhcp/dhcp-option-values.js";
import { macToChaddr, makeClientPacket } from "../protocols/dhcp/make-client-packet.js";
import type { DhcpSocketBinder, DhcpUdpSocket } from "../services/dhcp/dhcp-udp-socket.js";

export interface DhcpProbeOptions {
  /** Our address on the interface to probe: the DISCOVER leaves by the interface holding it. */
  readonly address: string;
  /** chaddr of the DISCOVER: the interface's own hardware address. */
  readonly mac: string;
  readonly bind: DhcpSocketBinder;
  /** How long to listen for OFFERs after the one DISCOVER. */
  readonly waitMs: number;
  /** 67 and 68 (RFC 2131 §4.1); tests on loopback use others. */
  readonly serverPort?: number | undefined;
  readonly clientPort?: number | undefined;
  /** Where the DISCOVER goes; 255.255.255.255 (RFC 2131 §4.1), a loopback address in tests. */
  readonly to?: string | undefined;
  /** Where OFFERs are heard; 0.0.0.0. */
  readonly listenAddress?: string | undefined;
  readonly xid?: number | undefined;
}

/** One server that answered: its identifier (option 54), what it offered, and who sent the packet (a relay, or the server). */
export interface DhcpOffer {
  readonly server: string;
  readonly offered: string;
  readonly from: string;
}

export type DhcpProbeResult =
  | { readonly ran: true; readonly offers: readonly DhcpOffer[] }
  | { readonly ran: false; readonly reason: string };

export async function probeDhcp(o: DhcpProbeOptions): Promise<DhcpProbeResult> {
  const clientPort = o.clientPort ?? 68;
  const xid = o.xid ?? randomInt(1, 0x7fffffff);
  const chaddr = macToChaddr(o.mac);
  const offers = new Map<string, DhcpOffer>();
  const sockets: DhcpUdpSocket[] = [];
  const hear = (data: Buffer, rinfo: { address: string }) => {
    let msg: ReturnType<typeof decodeDhcp>;
    try {
      msg = decodeDhcp(data);
    } catch {
      return; // not DHCP, or not whole: not an answer to us
    }
    if (msg.op !== BOOTREPLY || msg.xid !== xid || !msg.chaddr.subarray(0, 6).equals(chaddr.subarray(0, 6)))
      return;
    // A proxyDHCP reply offers no address (yiaddr 0): only a server that
    // hands out addresses decides between full and proxy mode.
    if (msg.messageType !== DhcpMessageType.OFFER || msg.yiaddr === "0.0.0.0") return;
    const server = readIp(msg.options.get(Opt.SERVER_ID)) ?? rinfo.address;
    if (!offers.has(server)) offers.set(server, { server, offered: msg.yiaddr, from: rinfo.address });
  };
  try {
    try {
      const listen = await o.bind(o.listenAddress ?? "0.0.0.0", clientPort);
      sockets.push(listen);
      const send = await o.bind(o.address, clientPort);
      sockets.push(send);
      for (const s of sockets) {
        s.on("message", hear);
        s.on("error", () => {});
      }
      const discover = makeClientPacket({ type: DhcpMessageType.DISCOVER, mac: o.mac, xid, broadcast: true });
      await new Promise<void>((resolve, reject) =>
        send.send(discover, o.serverPort ?? 67, o.to ?? "255.255.255.255", (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    } catch (e) {
      return { ran: false, reason: whyNot(e as NodeJS.ErrnoException, clientPort) };
    }
    await new Promise((r) => setTimeout(r, o.waitMs));
    return { ran: true, offers: [...offers.values()] };
  } finally {
    for (const s of sockets) s.close();
  }
}

function whyNot(e: NodeJS.ErrnoException, port: number): string {
  if (e.code === "EACCES") return `binding UDP port ${port} needs root (or CAP_NET_BIND_SERVICE)`;
  if (e.code === "EADDRINUSE") return `UDP port ${port} is held by another program (a DHCP client?)`;
  if (e.code === "EADDRNOTAVAIL") return "the interface's address went away";
  return `sending the DHCPDISCOVER failed: ${e.message}`;
}
