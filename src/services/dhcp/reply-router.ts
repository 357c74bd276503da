/**
 * Where each reply goes (RFC 2131 §4.1), and from which socket. The
 * exchanges build a reply; this decides its destination, so the rules live
 * in one place for the full server and proxyDHCP alike. Every reply made
 * here is counted as `out.<TYPE>`.
 */
import {
  type DhcpMessage,
  DhcpMessageType,
  FLAG_BROADCAST,
  MESSAGE_TYPE_NAMES,
} from "../../protocols/dhcp/dhcp-message.js";
import { isSetAddress } from "../../protocols/dhcp/is-set-address.js";
import type { DhcpCounters } from "./dhcp-counters.js";
import type { DhcpInbound, DhcpListener, DhcpOutbound } from "./dhcp-datagram.js";
import type { ServedNetwork } from "./served-network.js";

const BROADCAST = "255.255.255.255";

export interface ReplyRouterOptions {
  /** Where relays listen: the DHCP port (RFC 2131 §4.1: relays use the server port). */
  readonly serverPort: number;
  /** Where clients listen: the DHCP port + 1. */
  readonly clientPort: number;
  readonly counters: DhcpCounters;
}

export class ReplyRouter {
  readonly #serverPort: number;
  readonly #clientPort: number;
  readonly #counters: DhcpCounters;

  constructor(options: ReplyRouterOptions) {
    this.#serverPort = options.serverPort;
    this.#clientPort = options.clientPort;
    this.#counters = options.counters;
  }

  /** An OFFER or ACK: to the relay, to the bound client's ciaddr, else broadcast on the client's segment. */
  toClient(type: number, data: Buffer, request: DhcpMessage, net: ServedNetwork): DhcpOutbound {
    if (request.giaddr !== "0.0.0.0") return this.#out(type, data, request.giaddr, this.#serverPort, "dhcp");
    if (isSetAddress(request.ciaddr)) return this.#out(type, data, request.ciaddr, this.#clientPort, "dhcp");
    // Broadcast bit or not: a unicast to yiaddr before the client has the
    // address needs an ARP entry we cannot add without raw sockets, so we
    // broadcast, which RFC 2131 §4.1 allows and every client accepts.
    return this.#broadcast(type, data, net);
  }

  /**
   * RFC 2131 §4.1: a NAK is broadcast when giaddr is 0; through a relay,
   * the relay is told to broadcast it (broadcast bit set in `data`).
   */
  nak(data: Buffer, request: DhcpMessage, net: ServedNetwork): DhcpOutbound {
    if (request.giaddr !== "0.0.0.0") {
      data.writeUInt16BE(request.flags | FLAG_BROADCAST, 10);
      return this.#out(DhcpMessageType.NAK, data, request.giaddr, this.#serverPort, "dhcp");
    }
    return this.#broadcast(DhcpMessageType.NAK, data, net);
  }

  /** RFC 2131 §4.3.5: the ACK to an INFORM goes to the relay, else unicast to the client's address. */
  informAck(data: Buffer, request: DhcpMessage, clientIp: string): DhcpOutbound {
    if (request.giaddr !== "0.0.0.0")
      return this.#out(DhcpMessageType.ACK, data, request.giaddr, this.#serverPort, "dhcp");
    return this.#out(DhcpMessageType.ACK, data, clientIp, this.#clientPort, "dhcp");
  }

  /**
   * proxyDHCP on port 4011 (PXE spec 2.1 §2.2.2): back to the address and
   * port the request came from (OVMF sends from 4011, most ROMs from 68),
   * from our port 4011, as iPXE takes the reply only from that source port.
   */
  toSender(type: number, data: Buffer, inbound: DhcpInbound): DhcpOutbound {
    return this.#out(type, data, inbound.address, inbound.port, "proxy");
  }

  /** Out of the network's own interface when it is local (see dhcp-service.ts). */
  #broadcast(type: number, data: Buffer, net: ServedNetwork): DhcpOutbound {
    return this.#out(type, data, BROADCAST, this.#clientPort, "dhcp", net.local ? net.serverId : undefined);
  }

  #out(
    type: number,
    data: Buffer,
    address: string,
    port: number,
    from: DhcpListener,
    via?: string,
  ): DhcpOutbound {
    this.#counters.add(`out.${MESSAGE_TYPE_NAMES[type]}`);
    return { type, data, address, port, from, via };
  }
}
