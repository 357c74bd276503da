/**
 * proxyDHCP (PXE spec 2.1 §2.2.2 "ProxyDHCP"), beside a DHCP server that is
 * not ours: the address comes from that server, boot information from us.
 * No lease is kept and no address is handed out.
 */
import type { BootPlanner } from "../../boot/boot-planner.js";
import { type DhcpMessage, DhcpMessageType } from "../../protocols/dhcp/dhcp-message.js";
import { isSetAddress } from "../../protocols/dhcp/is-set-address.js";
import type { DhcpInbound, DhcpOutbound } from "./dhcp-datagram.js";
import { type DhcpEvents, factsDetail } from "./dhcp-events.js";
import { buildReply } from "./dhcp-reply.js";
import type { DropLog } from "./drop-log.js";
import { isPxeClient, machineFactsFromPacket } from "./machine-facts-from-packet.js";
import type { NetworkLocator } from "./network-locator.js";
import type { ReplyRouter } from "./reply-router.js";
import type { ServedNetwork } from "./served-network.js";

export interface ProxyExchangeOptions {
  readonly planner: BootPlanner;
  readonly locate: NetworkLocator;
  readonly router: ReplyRouter;
  readonly events: DhcpEvents;
  readonly drops: DropLog;
}

export class ProxyExchange {
  readonly #planner: BootPlanner;
  readonly #locate: NetworkLocator;
  readonly #router: ReplyRouter;
  readonly #events: DhcpEvents;
  readonly #drops: DropLog;

  constructor(options: ProxyExchangeOptions) {
    this.#planner = options.planner;
    this.#locate = options.locate;
    this.#router = options.router;
    this.#events = options.events;
    this.#drops = options.drops;
  }

  /**
   * Answers PXE clients only, with boot information only: yiaddr stays 0,
   * the address comes from the existing DHCP server. On port 67 a DISCOVER
   * gets a proxy OFFER (broadcast: the client has no address yet). On port
   * 4011 a REQUEST (or INFORM) gets an ACK sent back from port 4011 to the
   * port it came from: OVMF sends from 4011, most ROMs from 68, and iPXE
   * takes the reply only when its source port is 4011.
   */
  async handle(msg: DhcpMessage, inbound: DhcpInbound): Promise<DhcpOutbound[]> {
    if (!isPxeClient(msg)) return this.#drops.ignore("proxy-not-pxe");
    const onProxyPort = inbound.listener === "proxy";
    const type = msg.messageType;
    if (
      onProxyPort
        ? type !== DhcpMessageType.REQUEST && type !== DhcpMessageType.INFORM
        : type !== DhcpMessageType.DISCOVER
    ) {
      return this.#drops.ignore("proxy-other-type");
    }
    const clientIp = isSetAddress(msg.ciaddr) ? msg.ciaddr : onProxyPort ? inbound.address : undefined;
    const facts = machineFactsFromPacket(msg, clientIp);
    this.#events.publish(
      onProxyPort ? "dhcp.request" : "dhcp.discover",
      facts.mac,
      clientIp,
      factsDetail(facts),
    );
    // The planner decides (boot_unknown, image, arch); null: not ours to boot.
    const boot = this.#planner.dhcpBoot(facts);
    if (!boot) return this.#drops.ignore("proxy-planner-declined");
    // iPXE ignores a proxy offer without siaddr and a boot file (its
    // dhcp.c requires both to count it as a ProxyDHCP offer).
    if (!boot.bootFile || !isSetAddress(boot.nextServer)) {
      return this.#drops.drop(
        "proxy-no-boot-file",
        { mac: facts.mac },
        "planner gave no boot file or next server",
      );
    }
    const nets = onProxyPort
      ? [this.#locate.containing(clientIp ?? "") ?? this.#locate.forClient(msg, inbound)].filter(
          (n): n is ServedNetwork => n !== undefined,
        )
      : this.#locate.forDiscover(msg, inbound);
    const replyType = onProxyPort ? DhcpMessageType.ACK : DhcpMessageType.OFFER;
    const out: DhcpOutbound[] = [];
    for (const net of nets) {
      const data = buildReply({ type: replyType, request: msg, net, boot, proxy: true });
      this.#events.publish("dhcp.proxy", facts.mac, clientIp, {
        network: net.cidr,
        port: onProxyPort ? "proxy" : "dhcp",
        boot_file: boot.bootFile,
        next_server: boot.nextServer,
        arch: facts.arch,
      });
      out.push(
        onProxyPort
          ? this.#router.toSender(replyType, data, inbound)
          : this.#router.toClient(replyType, data, msg, net),
      );
    }
    return out;
  }
}
