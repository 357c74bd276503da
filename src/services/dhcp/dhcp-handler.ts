/**
 * The DHCP service without sockets: one datagram in, the replies out (with
 * where each must go). Full mode is an RFC 2131 server with leases in the
 * store; proxy mode is the PXE spec's proxyDHCP, which never hands out an
 * address. Nothing a packet holds can make handle() throw: a malformed
 * packet is logged once, counted and dropped.
 */
import type { BootPlanner, DhcpBootSpec } from "../../boot/boot-planner.js";
import type { FleetConfig, MachineFacts, ResolvedMachine, Resolver } from "../../config/model.js";
import type { Clock, EventBus } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { DhcpCodecError } from "../../protocols/dhcp/dhcp-codec-error.js";
import {
  BOOTREQUEST,
  type DhcpMessage,
  DhcpMessageType,
  MESSAGE_TYPE_NAMES,
  Opt,
} from "../../protocols/dhcp/dhcp-message.js";
import { readIp, readText } from "../../protocols/dhcp/dhcp-option-values.js";
import { decodeDhcp } from "../../protocols/dhcp/decode-dhcp.js";
import { isSetAddress } from "../../protocols/dhcp/is-set-address.js";
import type { LeaseRow, Store } from "../../store/store.js";
import { DhcpCounters } from "./dhcp-counters.js";
import { DhcpEvents, factsDetail } from "./dhcp-events.js";
import { DropLog } from "./drop-log.js";
import { MemoResolver } from "./memo-resolver.js";
import { NetworkLocator } from "./network-locator.js";
import type { DhcpInbound, DhcpOutbound } from "./dhcp-datagram.js";
import { buildReply } from "./dhcp-reply.js";
import { LeaseBook } from "./lease-book.js";
import { ReplyRouter } from "./reply-router.js";
import { isPxeClient, machineFactsFromPacket, macOf } from "./machine-facts-from-packet.js";
import { inPool, type LocalAddress, planServedNetworks, type ServedNetwork } from "./served-network.js";

export interface DhcpHandlerOptions {
  readonly config: Pick<FleetConfig, "networks" | "hosts" | "server" | "services">;
  /** This machine's addresses (os.networkInterfaces(), or a test's). */
  readonly addresses: readonly LocalAddress[];
  readonly resolver: Resolver;
  readonly planner: BootPlanner;
  readonly store: Store;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Where relays listen: the DHCP port (RFC 2131 §4.1: relays use the server port). */
  readonly serverPort?: number | undefined;
  /** Where clients listen: the DHCP port + 1 (68, or 1068 with seed 000's 1067). */
  readonly clientPort?: number | undefined;
  /** How long an offer holds its address (default 60 s). */
  readonly offerHoldMs?: number | undefined;
  /** How long a declined address stays out of the pool (default 10 min). */
  readonly declineHoldMs?: number | undefined;
}

export class DhcpHandler {
  readonly counters = new DhcpCounters();
  readonly networks: readonly ServedNetwork[];
  readonly leases: LeaseBook;
  readonly #o: DhcpHandlerOptions;
  readonly #mode: "full" | "proxy" | "off";
  readonly #router: ReplyRouter;
  readonly #offerHoldMs: number;
  readonly #declineHoldMs: number;
  readonly #drops: DropLog;
  readonly #locate: NetworkLocator;
  readonly #resolver: MemoResolver;
  readonly #events: DhcpEvents;

  constructor(options: DhcpHandlerOptions) {
    this.#o = options;
    this.#mode = options.config.services.dhcp.mode;
    this.networks = planServedNetworks(options.config, options.addresses);
    this.leases = new LeaseBook(options.store, options.clock);
    this.#drops = new DropLog({ counters: this.counters, logger: options.logger, clock: options.clock });
    this.#locate = new NetworkLocator(this.networks, this.#drops);
    this.#resolver = new MemoResolver(options.resolver);
    this.#events = new DhcpEvents(options.bus);
    const serverPort = options.serverPort ?? options.config.services.dhcp.port;
    const clientPort = options.clientPort ?? serverPort + 1;
    this.#router = new ReplyRouter({ serverPort, clientPort, counters: this.counters });
    this.#offerHoldMs = options.offerHoldMs ?? 60_000;
    this.#declineHoldMs = options.declineHoldMs ?? 600_000;
  }

  /** Loads the stored leases; call before the first handle(). */
  async start(): Promise<void> {
    if (this.#mode !== "full") return;
    const n = await this.leases.load();
    this.#o.logger.info(
      {
        leases: n,
        networks: this.networks.map((net) => ({
          cidr: net.cidr,
          server_id: net.serverId,
          local: net.local,
          interface: net.interfaceName,
          pool: net.poolSize,
          max_leases: net.maxLeases,
        })),
      },
      "dhcp: leases loaded",
    );
  }

  /** Never throws. */
  async handle(inbound: DhcpInbound): Promise<DhcpOutbound[]> {
    this.counters.add("received");
    let msg: DhcpMessage;
    try {
      msg = decodeDhcp(inbound.data);
    } catch (err) {
      const code = err instanceof DhcpCodecError ? err.code : "decode-failed";
      this.#drops.drop(`malformed.${code}`, {
        from: `${inbound.address}:${inbound.port}`,
        error: (err as Error).message,
      });
      return [];
    }
    try {
      if (msg.op !== BOOTREQUEST) return this.#drops.ignore("not-a-request");
      if (msg.messageType === null) return this.#drops.ignore("bootp"); // RFC 1542 BOOTP: not served
      this.counters.add(`in.${MESSAGE_TYPE_NAMES[msg.messageType]}`);
      if (this.#mode === "proxy") return await this.#proxy(msg, inbound);
      if (this.#mode === "full" && inbound.listener === "dhcp") return await this.#full(msg, inbound);
      return this.#drops.ignore("listener-off");
    } catch (err) {
      // A bug or a store failure: this packet gets no reply, the server goes on.
      this.counters.add("errors");
      this.#o.logger.error(
        { mac: macOf(msg), err: String((err as Error)?.stack ?? err) },
        "dhcp: handling failed",
      );
      return [];
    }
  }

  /** Marks leases that ran out as expired (the service calls this every minute). */
  async expire(): Promise<number> {
    const gone = await this.leases.expire();
    for (const row of gone) this.#events.publish("dhcp.expire", row.mac, row.ip, { network: row.network });
    return gone.length;
  }

  // ---- full mode (RFC 2131 §4.3) ----

  async #full(msg: DhcpMessage, inbound: DhcpInbound): Promise<DhcpOutbound[]> {
    const facts = machineFactsFromPacket(msg);
    const mac = facts.mac;
    switch (msg.messageType) {
      case DhcpMessageType.DISCOVER: {
        this.#events.publish("dhcp.discover", mac, undefined, factsDetail(facts));
        const out: DhcpOutbound[] = [];
        for (const net of this.#locate.forDiscover(msg, inbound)) {
          const reply = this.#offer(msg, net, facts);
          if (reply) out.push(reply);
        }
        return out;
      }
      case DhcpMessageType.REQUEST:
        return await this.#request(msg, inbound, facts);
      case DhcpMessageType.DECLINE:
        await this.#decline(msg, inbound, mac);
        return [];
      case DhcpMessageType.RELEASE:
        await this.#release(msg, inbound, mac);
        return [];
      case DhcpMessageType.INFORM:
        return this.#inform(msg, inbound, facts);
      default:
        return this.#drops.ignore("server-message-type");
    }
  }

  #offer(msg: DhcpMessage, net: ServedNetwork, facts: MachineFacts): DhcpOutbound | null {
    const mac = facts.mac;
    const reservation = this.#reservation(mac, net);
    let ip: string | null = null;
    if (reservation) {
      if (this.leases.availableFor(net, reservation, mac)) ip = reservation;
      else {
        this.#drops.drop("reservation-taken", { mac, ip: reservation, network: net.cidr });
        return null;
      }
    } else {
      // RFC 2131 §4.3.1 order: the client's current or last address, then
      // the address it asks for, then a free one.
      const previous = this.leases.forMac(net, mac);
      const requested = readIp(msg.options.get(Opt.REQUESTED_IP));
      if (previous && inPool(net, previous.ip) && this.leases.availableFor(net, previous.ip, mac)) {
        ip = previous.ip;
      } else if (this.leases.held(net) >= net.maxLeases) {
        this.#noAddress(net, mac);
        return null;
      } else if (requested && inPool(net, requested) && this.leases.availableFor(net, requested, mac)) {
        ip = requested;
      } else {
        const free = this.leases.freeAddress(net, mac);
        if (free === "cap" || free === "exhausted") {
          this.#noAddress(net, mac);
          return null;
        }
        ip = free;
      }
    }
    const machine = this.#resolver.resolve({ ...facts, ip });
    if (!this.#mayServe(machine, mac)) return null;
    this.leases.offer(net, mac, ip, this.#offerHoldMs, {
      hostname: machine.hostname ?? null,
      clientId: clientIdOf(msg),
    });
    const boot = this.#boot({ ...facts, ip });
    const data = buildReply({
      type: DhcpMessageType.OFFER,
      request: msg,
      net,
      yiaddr: ip,
      leaseSeconds: this.#leaseSeconds(machine),
      machine,
      boot,
    });
    this.#events.publish("dhcp.offer", mac, ip, { network: net.cidr, boot_file: boot?.bootFile });
    return this.#router.toClient(DhcpMessageType.OFFER, data, msg, net);
  }

  async #request(msg: DhcpMessage, inbound: DhcpInbound, facts: MachineFacts): Promise<DhcpOutbound[]> {
    const mac = facts.mac;
    const serverId = readIp(msg.options.get(Opt.SERVER_ID));
    const requested = readIp(msg.options.get(Opt.REQUESTED_IP));
    let net: ServedNetwork | undefined;
    let ip: string | null;
    let state: "selecting" | "init-reboot" | "renewing";
    if (serverId) {
      // SELECTING (RFC 2131 §4.3.2): the client names the server it chose.
      state = "selecting";
      net = this.#locate.forDiscover(msg, inbound).find((n) => n.serverId === serverId);
      if (!net) {
        // It chose another server: our offers to it are void.
        this.leases.dropOffers(mac);
        this.#events.publish("dhcp.request", mac, requested ?? undefined, {
          ...factsDetail(facts),
          chose: serverId,
        });
        return this.#drops.ignore("other-server");
      }
      ip = requested ?? (isSetAddress(msg.ciaddr) ? msg.ciaddr : null);
    } else if (isSetAddress(msg.ciaddr)) {
      // RENEWING (unicast) or REBINDING (broadcast): ciaddr is the lease.
      state = "renewing";
      net = this.#locate.forClient(msg, inbound);
      ip = msg.ciaddr;
    } else if (requested) {
      // INIT-REBOOT: a client that remembers its address.
      state = "init-reboot";
      net = this.#locate.forClient(msg, inbound);
      ip = requested;
    } else {
      return this.#drops.drop("request-without-address", { mac });
    }
    this.#events.publish("dhcp.request", mac, ip ?? undefined, { ...factsDetail(facts), state });
    // Not a network of ours (with several local networks and no relay we
    // cannot tell where the client is): RFC 2131 §4.3.2, no record, no reply.
    if (!net || !ip) return this.#drops.ignore("not-our-network");
    const ours = net.reserved.get(ip) === mac || inPool(net, ip);
    const reservation = this.#reservation(mac, net);
    if (
      !ours ||
      !this.leases.availableFor(net, ip, mac) ||
      (reservation !== undefined && reservation !== ip)
    ) {
      // Selected us but wants an address we cannot give, or asks for one
      // another machine holds: NAK (RFC 2131 §4.3.2). A renewing client we
      // have no say over (outside our pool, held by no one) gets silence
      // unless we are authoritative.
      if (
        state === "selecting" ||
        this.#o.config.services.dhcp.authoritative ||
        !this.leases.availableFor(net, ip, mac)
      ) {
        return [this.#nak(msg, net, mac, ip, ours ? "address in use" : "address not in the pool")];
      }
      return this.#drops.ignore("not-ours");
    }
    if (
      !this.leases.isHeldBy(ip, mac) &&
      net.reserved.get(ip) !== mac &&
      this.leases.held(net) >= net.maxLeases
    ) {
      this.#noAddress(net, mac);
      return [this.#nak(msg, net, mac, ip, "no free lease")];
    }
    const machine = this.#resolver.resolve({ ...facts, ip });
    if (!this.#mayServe(machine, mac)) return [];
    const leaseSeconds = this.#leaseSeconds(machine);
    const now = this.#o.clock.now();
    const row: LeaseRow = {
      ip,
      mac,
      network: net.cidr,
      state: "bound",
      hostname: machine.hostname ?? readText(msg.options.get(Opt.HOSTNAME)) ?? null,
      clientId: clientIdOf(msg),
      start: now,
      expires: now + leaseSeconds * 1000,
    };
    // Durable before the ACK leaves (see lease-book.ts).
    await this.leases.commit(row);
    const boot = this.#boot({ ...facts, ip });
    const data = buildReply({
      type: DhcpMessageType.ACK,
      request: msg,
      net,
      yiaddr: ip,
      leaseSeconds,
      machine,
      boot,
    });
    this.#events.publish("dhcp.ack", mac, ip, {
      network: net.cidr,
      state,
      lease_seconds: leaseSeconds,
      hostname: machine.hostname,
      arch: facts.arch,
      boot_file: boot?.bootFile,
    });
    return [this.#router.toClient(DhcpMessageType.ACK, data, msg, net)];
  }

  /** RFC 2131 §4.3.3: the client found the address in use; keep it out of the pool for a while. */
  async #decline(msg: DhcpMessage, inbound: DhcpInbound, mac: string): Promise<void> {
    const ip = readIp(msg.options.get(Opt.REQUESTED_IP));
    const net = ip ? this.#locate.containing(ip) : this.#locate.forClient(msg, inbound);
    this.#events.publish("dhcp.decline", mac, ip ?? undefined, { network: net?.cidr });
    if (!ip || !net) return;
    const row = this.leases.byIp(ip);
    if (row && row.mac !== mac) return; // not this client's to decline
    const now = this.#o.clock.now();
    this.#o.logger.warn(
      { mac, ip, network: net.cidr },
      "dhcp: client declined an address (in use by another host?)",
    );
    await this.leases.commit({
      ip,
      mac,
      network: net.cidr,
      state: "declined",
      hostname: row?.hostname ?? null,
      clientId: row?.clientId ?? clientIdOf(msg),
      start: now,
      expires: now + this.#declineHoldMs,
    });
  }

  /** RFC 2131 §4.3.4: the client gives the address back; it stays this MAC's first choice. */
  async #release(msg: DhcpMessage, inbound: DhcpInbound, mac: string): Promise<void> {
    const ip = msg.ciaddr;
    this.#events.publish("dhcp.release", mac, ip, {});
    const row = this.leases.byIp(ip);
    if (!row || row.mac !== mac || row.state !== "bound" || !this.#locate.forClient(msg, inbound)) return;
    await this.leases.commit({ ...row, state: "released", expires: this.#o.clock.now() });
  }

  /** RFC 2131 §4.3.5: options only, no lease, no yiaddr, unicast to ciaddr. */
  #inform(msg: DhcpMessage, inbound: DhcpInbound, facts: MachineFacts): DhcpOutbound[] {
    const ip = isSetAddress(msg.ciaddr) ? msg.ciaddr : inbound.address;
    const net = this.#locate.containing(ip) ?? this.#locate.forClient(msg, inbound);
    this.#events.publish("dhcp.inform", facts.mac, ip, { network: net?.cidr });
    if (!net) return this.#drops.ignore("not-our-network");
    const machine = this.#resolver.resolve({ ...facts, ip });
    if (!this.#mayServe(machine, facts.mac)) return [];
    const boot = this.#boot({ ...facts, ip });
    const data = buildReply({ type: DhcpMessageType.ACK, request: msg, net, machine, boot });
    this.#events.publish("dhcp.ack", facts.mac, ip, { network: net.cidr, state: "inform" });
    return [this.#router.informAck(data, msg, ip)];
  }

  #nak(msg: DhcpMessage, net: ServedNetwork, mac: string, ip: string, why: string): DhcpOutbound {
    this.#events.publish("dhcp.nak", mac, ip, { network: net.cidr, reason: why });
    const data = buildReply({ type: DhcpMessageType.NAK, request: msg, net, message: why });
    return this.#router.nak(data, msg, net);
  }

  // ---- proxy mode (PXE spec 2.1 §2.2.2 "ProxyDHCP") ----

  /**
   * Answers PXE clients only, with boot information only: yiaddr stays 0,
   * the address comes from the existing DHCP server. On port 67 a DISCOVER
   * gets a proxy OFFER (broadcast: the client has no address yet). On port
   * 4011 a REQUEST (or INFORM) gets an ACK sent back from port 4011 to the
   * port it came from: OVMF sends from 4011, most ROMs from 68, and iPXE
   * takes the reply only when its source port is 4011.
   */
  async #proxy(msg: DhcpMessage, inbound: DhcpInbound): Promise<DhcpOutbound[]> {
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
    const boot = this.#o.planner.dhcpBoot(facts);
    if (!boot) return this.#drops.ignore("proxy-planner-declined");
    // iPXE ignores a proxy offer without siaddr and a boot file (its
    // dhcp.c requires both to count it as a ProxyDHCP offer).
    if (!boot.bootFile || !isSetAddress(boot.nextServer)) {
      this.#drops.drop("proxy-no-boot-file", { mac: facts.mac }, "planner gave no boot file or next server");
      return [];
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

  // ---- shared ----

  /** No address for a new lease: the max_leases cap, or (without one, or above the pool size) an empty pool. */
  #noAddress(net: ServedNetwork, mac: string): void {
    const capped = net.maxLeases < net.poolSize && this.leases.held(net) >= net.maxLeases;
    this.#drops.drop(
      capped ? "max-leases" : "pool-exhausted",
      { mac, network: net.cidr, pool: net.poolSize, max_leases: net.maxLeases },
      capped ? "network at max_leases" : "address pool exhausted",
    );
  }

  #reservation(mac: string, net: ServedNetwork): string | undefined {
    const ip = this.#resolver.findHost(mac)?.ip;
    return ip !== undefined && net.reserved.get(ip) === mac ? ip : undefined;
  }

  /** seed 000's `boot-unknown-clients false`: unknown machines get nothing at all, like ISC dhcpd. */
  #mayServe(machine: ResolvedMachine, mac: string): boolean {
    if (machine.known || machine.boot_unknown.value) return true;
    this.#drops.dropAsConfigured(
      "unknown-client",
      { mac },
      "dhcp: unknown machine and boot_unknown is false",
    );
    return false;
  }

  /**
   * The planner is asked only for netboot firmware (PXE or UEFI HTTP vendor
   * class, iPXE, or an option 93): an installed OS renewing its lease is not
   * booting, and gets the config's own filename/next_server if any.
   */
  #boot(facts: MachineFacts): DhcpBootSpec | null {
    const vc = facts.vendorClass ?? "";
    const netboot =
      vc.startsWith("PXEClient") || vc.startsWith("HTTPClient") || facts.ipxe || facts.arch !== undefined;
    return netboot ? this.#o.planner.dhcpBoot(facts) : null;
  }

  #leaseSeconds(machine: ResolvedMachine): number {
    return machine.dhcp.lease_time?.value ?? this.#o.config.services.dhcp.lease_time;
  }
}

function clientIdOf(msg: DhcpMessage): string | null {
  return msg.options.get(Opt.CLIENT_ID)?.toString("hex") ?? null;
}
