/**
 * Which of the served networks a packet is about, read from the packet
 * itself: giaddr (relayed, RFC 2131 §4.1), ciaddr, option 50, or the local
 * address the receiving socket is bound to.
 *
 * Node's dgram cannot tell which interface a broadcast came in on (no
 * IP_PKTINFO), so a direct DISCOVER, which carries none of these, belongs
 * to every local network: the exchange answers in each and sends each reply
 * out of that network's own interface (see dhcp-service.ts), so the client
 * only ever hears the one for the segment it is on.
 */
import type { DhcpMessage } from "../../protocols/dhcp/dhcp-message.js";
import { Opt } from "../../protocols/dhcp/dhcp-message.js";
import { readIp } from "../../protocols/dhcp/dhcp-option-values.js";
import { isSetAddress } from "../../protocols/dhcp/is-set-address.js";
import type { DhcpInbound } from "./dhcp-datagram.js";
import type { DropLog } from "./drop-log.js";
import { networkContaining, type ServedNetwork } from "./served-network.js";

export class NetworkLocator {
  readonly networks: readonly ServedNetwork[];
  readonly #drops: DropLog;

  constructor(networks: readonly ServedNetwork[], drops: DropLog) {
    this.networks = networks;
    this.#drops = drops;
  }

  containing(ip: string): ServedNetwork | undefined {
    return networkContaining(this.networks, ip);
  }

  /**
   * Networks a DISCOVER may be answered in. Relayed: the relay's (RFC 2131
   * §4.3.1); a relay in none of ours is dropped. Direct: the network of the
   * address it was unicast to, else every local network. Offers are
   * memory-only and short, so the ones the client never hears cost nothing
   * lasting.
   */
  forDiscover(msg: DhcpMessage, inbound: DhcpInbound): ServedNetwork[] {
    if (msg.giaddr !== "0.0.0.0") {
      const net = this.containing(msg.giaddr);
      if (!net) this.#drops.drop("no-network-for-relay", { giaddr: msg.giaddr });
      return net ? [net] : [];
    }
    if (inbound.localAddress) {
      const net = this.networks.find((n) => n.local && n.serverId === inbound.localAddress);
      if (net) return [net];
    }
    const local = this.networks.filter((n) => n.local);
    if (local.length > 0) return local;
    // No interface address in any configured network (a test on loopback,
    // or an address not yet up): one network is unambiguous.
    return this.networks.length === 1 ? [this.networks[0]!] : [];
  }

  /** The one network a REQUEST, DECLINE, RELEASE or INFORM is about; undefined when the packet cannot tell. */
  forClient(msg: DhcpMessage, inbound: DhcpInbound): ServedNetwork | undefined {
    if (msg.giaddr !== "0.0.0.0") return this.containing(msg.giaddr);
    if (isSetAddress(msg.ciaddr)) return this.containing(msg.ciaddr);
    const requested = readIp(msg.options.get(Opt.REQUESTED_IP));
    if (requested) {
      const net = this.containing(requested);
      if (net) return net;
    }
    if (inbound.localAddress) return this.networks.find((n) => n.serverId === inbound.localAddress);
    const local = this.networks.filter((n) => n.local);
    if (local.length === 1) return local[0];
    return this.networks.length === 1 ? this.networks[0] : undefined;
  }
}
