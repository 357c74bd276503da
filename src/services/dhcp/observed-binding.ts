/**
 * Proxy mode's evidence of which machine is at which address: the clients'
 * own DHCP packets, which reach us although another server answers them.
 *   - A DHCPREQUEST on port 67 (RFC 2131 §4.3.2) names the address the
 *     client takes: option 50 when SELECTING or INIT-REBOOT, ciaddr when
 *     REBINDING (a RENEWING request is unicast to the other server and never
 *     seen). Relayed ones (giaddr set) carry the same fields, so relays work.
 *   - A PXE client's request to port 4011 (PXE spec 2.1 §2.2.2) comes from
 *     the address the other server gave it, with ciaddr set to it; its
 *     source is what is recorded (ciaddr when a relay sent it on).
 * What the identity module makes of it (src/identity/) is not decided here.
 */
import { type DhcpMessage, DhcpMessageType, Opt } from "../../protocols/dhcp/dhcp-message.js";
import { readIp } from "../../protocols/dhcp/dhcp-option-values.js";
import { isSetAddress } from "../../protocols/dhcp/is-set-address.js";
import type { DhcpInbound } from "./dhcp-datagram.js";
import { macOf } from "./machine-facts-from-packet.js";

export interface DhcpBinding {
  readonly mac: string;
  readonly ip: string;
  readonly source: "dhcp-request" | "pxe-request";
}

/** The binding a packet shows, or null when it shows none. */
export function observedBinding(msg: DhcpMessage, inbound: DhcpInbound): DhcpBinding | null {
  if (msg.htype !== 1 || msg.hlen !== 6) return null; // Ethernet MACs only
  const mac = macOf(msg);
  if (inbound.listener === "proxy") {
    if (msg.messageType !== DhcpMessageType.REQUEST && msg.messageType !== DhcpMessageType.INFORM)
      return null;
    const ip = isSetAddress(msg.giaddr) ? msg.ciaddr : inbound.address;
    // A client naming another address than the one it sends from is not believed.
    if (!isSetAddress(ip) || (isSetAddress(msg.ciaddr) && msg.ciaddr !== ip)) return null;
    return { mac, ip, source: "pxe-request" };
  }
  if (msg.messageType !== DhcpMessageType.REQUEST) return null;
  const ip = readIp(msg.options.get(Opt.REQUESTED_IP)) ?? msg.ciaddr;
  return isSetAddress(ip) ? { mac, ip, source: "dhcp-request" } : null;
}
