/**
 * The full DHCP server's side of each exchange (RFC 2131 §4.3): offers from
 * the pool or a host's reservation, bindings written to the store before
 * the ACK leaves, renewals, NAKs, declines, releases and INFORM. Leases are
 * keyed by chaddr (see lease-book.ts); the boot planner is asked only for
 * machines that are netbooting.
 */
import type { BootPlanner, DhcpBootSpec } from "../../boot/boot-planner.js";
import type { FleetConfig, MachineFacts, ResolvedMachine, Resolver } from "../../config/model.js";
import type { Clock } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { type DhcpMessage, DhcpMessageType, Opt } from "../../protocols/dhcp/dhcp-message.js";
import { readIp, readText } from "../../protocols/dhcp/dhcp-option-values.js";
import { isSetAddress } from "../../protocols/dhcp/is-set-address.js";
import type { LeaseRow } from "../../store/store.js";
import type { DhcpInbound, DhcpOutbound } from "./dhcp-datagram.js";
import { type DhcpEvents, factsDetail } from "./dhcp-events.js";
import { buildReply } from "./dhcp-reply.js";
import type { DropLog } from "./drop-log.js";
import type { LeaseBook } from "./lease-book.js";
import { LeaseTakenError } from "./lease-taken-error.js";
import { machineFactsFromPacket } from "./machine-facts-from-packet.js";
import type { NetworkLocator } from "./network-locator.js";
import type { ReplyRouter } from "./reply-router.js";
import { inPool, type ServedNetwork } from "./served-network.js";

/** How long an offer holds its address when the handler is not told. */
const DEFAULT_OFFER_HOLD_MS = 60_000;
/** How long a declined address stays out of the pool when the handler is not told. */
const DEFAULT_DECLINE_HOLD_MS = 600_000;

export interface FullExchangeOptions {
  readonly config: FleetConfig["services"]["dhcp"];
  readonly resolver: Resolver;
  readonly planner: BootPlanner;
  readonly leases: LeaseBook;
  readonly locate: NetworkLocator;
  readonly router: ReplyRouter;
  readonly events: DhcpEvents;
  readonly drops: DropLog;
  readonly logger: Logger;
  readonly clock: Clock;
  /** How long an offer holds its address (default 60 s). */
  readonly offerHoldMs?: number | undefined;
  /** How long a declined address stays out of the pool (default 10 min). */
  readonly declineHoldMs?: number | undefined;
}

export class FullExchange {
  readonly #config: FleetConfig["services"]["dhcp"];
  readonly #resolver: Resolver;
  readonly #planner: BootPlanner;
  readonly #leases: LeaseBook;
  readonly #locate: NetworkLocator;
  readonly #router: ReplyRouter;
  readonly #events: DhcpEvents;
  readonly #drops: DropLog;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #offerHoldMs: number;
  readonly #declineHoldMs: number;

  constructor(options: FullExchangeOptions) {
    this.#config = options.config;
    this.#resolver = options.resolver;
    this.#planner = options.planner;
    this.#leases = options.leases;
    this.#locate = options.locate;
    this.#router = options.router;
    this.#events = options.events;
    this.#drops = options.drops;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#offerHoldMs = options.offerHoldMs ?? DEFAULT_OFFER_HOLD_MS;
    this.#declineHoldMs = options.declineHoldMs ?? DEFAULT_DECLINE_HOLD_MS;
  }

  /** Marks leases that ran out as expired and publishes one event for each binding that did. */
  async expire(): Promise<number> {
    const gone = await this.#leases.expire();
    for (const row of gone) this.#events.publish("dhcp.expire", row.mac, row.ip, { network: row.network });
    return gone.length;
  }

  /** A request that came in on the DHCP port, by message type (RFC 2131 §4.3.1 to §4.3.5). */
  async handle(msg: DhcpMessage, inbound: DhcpInbound): Promise<DhcpOutbound[]> {
    const facts = machineFactsFromPacket(msg);
    const mac = facts.mac;
    switch (msg.messageType) {
      case DhcpMessageType.DISCOVER: {
        const offers: Offered[] = [];
        for (const net of this.#locate.forDiscover(msg, inbound)) {
          const offered = this.#offer(msg, net, facts);
          if (offered) offers.push(offered);
        }
        // One event for the DISCOVER and the OFFER that answers it: the
        // event rows are most of what an exchange costs (see dhcp-events.ts).
        this.#events.publish("dhcp.discover", mac, offers[0]?.ip, discoverDetail(facts, offers));
        return offers.map((o) => o.reply);
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

  #offer(msg: DhcpMessage, net: ServedNetwork, facts: MachineFacts): Offered | null {
    const mac = facts.mac;
    const reservation = this.#reservation(mac, net);
    let ip: string | null = null;
    if (reservation) {
      if (this.#leases.availableFor(net, reservation, mac)) ip = reservation;
      else {
        this.#drops.drop("reservation-taken", { mac, ip: reservation, network: net.cidr });
        return null;
      }
    } else {
      // RFC 2131 §4.3.1 order: the client's current or last address, then
      // the address it asks for, then a free one.
      const previous = this.#leases.forMac(net, mac);
      const requested = readIp(msg.options.get(Opt.REQUESTED_IP));
      if (previous && inPool(net, previous.ip) && this.#leases.availableFor(net, previous.ip, mac)) {
        ip = previous.ip;
      } else if (this.#leases.bindings(net) >= net.maxLeases) {
        this.#noAddress(net, mac);
        return null;
      } else if (
        requested &&
        inPool(net, requested) &&
        this.#leases.availableFor(net, requested, mac) &&
        !this.#leases.offeredToAnother(requested, mac)
      ) {
        ip = requested;
      } else {
        const free = this.#leases.freeAddress(net, mac);
        if (free === "cap" || free === "exhausted") {
          this.#noAddress(net, mac);
          return null;
        }
        ip = free;
      }
    }
    const machine = this.#resolver.resolve({ ...facts, ip });
    if (!this.#mayServe(machine, mac)) return null;
    this.#leases.offer(net, mac, ip, this.#offerHoldMs, {
      hostname: machine.hostname ?? null,
      clientId: clientIdOf(msg),
    });
    const boot = this.#boot({ ...facts, ip });
    const data = buildReply({
      type: DhcpMessageType.OFFER,
      request: msg,
      net,
      yiaddr: ip,
      leaseSeconds: this.#grant(msg, net, mac, ip, machine).seconds,
      machine,
      boot,
    });
    return {
      ip,
      network: net.cidr,
      bootFile: boot?.bootFile,
      reply: this.#router.toClient(DhcpMessageType.OFFER, data, msg, net),
    };
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
        this.#leases.dropOffers(mac);
        const detail = requestDetail(facts, state);
        detail.chose = serverId;
        this.#events.publish("dhcp.request", mac, requested ?? undefined, detail);
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
    // A REQUEST answered is one event, its ACK or NAK, with what the client
    // said; one left unanswered is a dhcp.request of its own.
    const asked = requestDetail(facts, state);
    const unanswered = () => this.#events.publish("dhcp.request", mac, ip ?? undefined, asked);
    // Not a network of ours (with several local networks and no relay we
    // cannot tell where the client is): RFC 2131 §4.3.2, no record, no reply.
    if (!net || !ip) {
      unanswered();
      return this.#drops.ignore("not-our-network");
    }
    const ours = net.reserved.get(ip) === mac || inPool(net, ip);
    const reservation = this.#reservation(mac, net);
    if (
      !ours ||
      !this.#leases.availableFor(net, ip, mac) ||
      (reservation !== undefined && reservation !== ip)
    ) {
      // Selected us but wants an address we cannot give, or asks for one
      // another machine holds: NAK (RFC 2131 §4.3.2). A renewing client we
      // have no say over (outside our pool, held by no one) gets silence
      // unless we are authoritative.
      if (state === "selecting" || this.#config.authoritative || !this.#leases.availableFor(net, ip, mac)) {
        return [this.#nak(msg, net, mac, ip, ours ? "address in use" : "address not in the pool", asked)];
      }
      unanswered();
      return this.#drops.ignore("not-ours");
    }
    if (
      !this.#leases.isBoundTo(ip, mac) &&
      net.reserved.get(ip) !== mac &&
      this.#leases.bindings(net) >= net.maxLeases
    ) {
      this.#noAddress(net, mac);
      return [this.#nak(msg, net, mac, ip, "no free lease", asked)];
    }
    const machine = this.#resolver.resolve({ ...facts, ip });
    if (!this.#mayServe(machine, mac)) {
      unanswered();
      return [];
    }
    const grant = this.#grant(msg, net, mac, ip, machine);
    if (!grant.reused) {
      const now = this.#clock.now();
      const row: LeaseRow = {
        ip,
        mac,
        network: net.cidr,
        state: "bound",
        ...grant.same,
        start: now,
        expires: now + grant.seconds * 1000,
      };
      // Durable before the ACK leaves (see lease-book.ts).
      try {
        await this.#leases.commit(row);
      } catch (err) {
        // Another server sharing the lease table bound it first (docs/ha.md).
        if (err instanceof LeaseTakenError) return [this.#nak(msg, net, mac, ip, "address in use", asked)];
        unanswered();
        throw err;
      }
    }
    const boot = this.#boot({ ...facts, ip });
    const data = buildReply({
      type: DhcpMessageType.ACK,
      request: msg,
      net,
      yiaddr: ip,
      leaseSeconds: grant.seconds,
      machine,
      boot,
    });
    // The ACK's detail is the REQUEST's, with what was granted.
    const detail = asked;
    detail.network = net.cidr;
    detail.lease_seconds = grant.seconds;
    if (grant.reused) detail.reused = true;
    detail.hostname = machine.hostname;
    detail.boot_file = boot?.bootFile;
    this.#events.publish("dhcp.ack", mac, ip, detail);
    return [this.#router.toClient(DhcpMessageType.ACK, data, msg, net)];
  }

  /** RFC 2131 §4.3.3: the client found the address in use; keep it out of the pool for a while. */
  async #decline(msg: DhcpMessage, inbound: DhcpInbound, mac: string): Promise<void> {
    const ip = readIp(msg.options.get(Opt.REQUESTED_IP));
    const net = ip ? this.#locate.containing(ip) : this.#locate.forClient(msg, inbound);
    this.#events.publish("dhcp.decline", mac, ip ?? undefined, { network: net?.cidr });
    if (!ip || !net) return;
    const row = this.#leases.byIp(ip);
    if (row && row.mac !== mac) return; // not this client's to decline
    const now = this.#clock.now();
    this.#logger.warn(
      { mac, ip, network: net.cidr },
      "dhcp: client declined an address (in use by another host?)",
    );
    await this.#leases
      .commit({
        ip,
        mac,
        network: net.cidr,
        state: "declined",
        hostname: row?.hostname ?? null,
        clientId: row?.clientId ?? clientIdOf(msg),
        start: now,
        expires: now + this.#declineHoldMs,
      })
      .catch(unlessTaken);
  }

  /** RFC 2131 §4.3.4: the client gives the address back; it stays this MAC's first choice. */
  async #release(msg: DhcpMessage, inbound: DhcpInbound, mac: string): Promise<void> {
    const ip = msg.ciaddr;
    this.#events.publish("dhcp.release", mac, ip, {});
    const row = this.#leases.byIp(ip);
    if (!row || row.mac !== mac || row.state !== "bound" || !this.#locate.forClient(msg, inbound)) return;
    await this.#leases.commit({ ...row, state: "released", expires: this.#clock.now() }).catch(unlessTaken);
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

  /** A NAK to a REQUEST; `asked`: what the client said in it (the REQUEST's own event detail). */
  #nak(
    msg: DhcpMessage,
    net: ServedNetwork,
    mac: string,
    ip: string,
    why: string,
    asked: Record<string, unknown>,
  ): DhcpOutbound {
    // The REQUEST's own detail, with the network and why it was refused.
    asked.network = net.cidr;
    asked.reason = why;
    this.#events.publish("dhcp.nak", mac, ip, asked);
    const data = buildReply({ type: DhcpMessageType.NAK, request: msg, net, message: why });
    return this.#router.nak(data, msg, net);
  }

  /** No address for a new lease: the max_leases cap, or (without one, or above the pool size) a pool bound full. */
  #noAddress(net: ServedNetwork, mac: string): void {
    const capped = net.maxLeases < net.poolSize && this.#leases.bindings(net) >= net.maxLeases;
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

  /**
   * `boot_unknown: false` (ISC dhcpd's `boot-unknown-clients false`, common
   * in LTSP configs): a machine the config does not declare gets nothing at all.
   */
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
    return netboot ? this.#planner.dhcpBoot(facts) : null;
  }

  #leaseSeconds(machine: ResolvedMachine): number {
    return machine.dhcp.lease_time?.value ?? this.#config.lease_time;
  }

  /**
   * The lease an OFFER or ACK gives `mac` at `ip`: the running one,
   * unchanged, with the seconds it has left, when the client asks again
   * within `lease_cache_threshold` percent of its lease time (LeaseBook's
   * reusable(): nothing to write before the ACK); else a new one of the
   * configured time. An infinite lease (RFC 2131 §3.3) is always given
   * anew: what is left of one is not infinite.
   */
  #grant(msg: DhcpMessage, net: ServedNetwork, mac: string, ip: string, machine: ResolvedMachine): Grant {
    const seconds = this.#leaseSeconds(machine);
    const same = {
      hostname: machine.hostname ?? readText(msg.options.get(Opt.HOSTNAME)) ?? null,
      clientId: clientIdOf(msg),
    };
    const threshold = seconds >= INFINITE_LEASE_SECONDS ? 0 : this.#config.lease_cache_threshold / 100;
    const leftMs = this.#leases.reusable(ip, mac, net.cidr, same, seconds * 1000, threshold);
    return leftMs === undefined
      ? { seconds, reused: false, same }
      : { seconds: Math.max(1, Math.floor(leftMs / 1000)), reused: true, same };
  }
}

/** Option 51's all-ones value: a lease that never ends (RFC 2131 §3.3). */
const INFINITE_LEASE_SECONDS = 0xffffffff;

/** What an OFFER or ACK grants: its lease time, whether it is the running lease unchanged, and the row's identity fields. */
interface Grant {
  readonly seconds: number;
  readonly reused: boolean;
  readonly same: Pick<LeaseRow, "hostname" | "clientId">;
}

/** A decline or release of an address another server has since bound to another MAC is moot. */
function unlessTaken(err: unknown): void {
  if (!(err instanceof LeaseTakenError)) throw err;
}

/** An OFFER made to a DISCOVER, on one network. */
interface Offered {
  readonly ip: string;
  readonly network: string;
  readonly bootFile: string | undefined;
  readonly reply: DhcpOutbound;
}

/**
 * The DISCOVER's event detail: what the client said and, when it was
 * answered, `reply: "offer"` with the network and boot file offered (the
 * event's ip is the address). Several local networks without a relay can
 * each make an offer: the others are in `also_offered`.
 */
function discoverDetail(facts: MachineFacts, offers: readonly Offered[]): Record<string, unknown> {
  const detail = factsDetail(facts);
  const [first, ...others] = offers;
  if (!first) return detail;
  detail.reply = "offer";
  detail.network = first.network;
  detail.boot_file = first.bootFile;
  if (others.length > 0) detail.also_offered = others.map((o) => `${o.ip} (${o.network})`);
  return detail;
}

/** What a REQUEST said, for its event: what the client said about itself and its state. */
function requestDetail(facts: MachineFacts, state: string): Record<string, unknown> {
  const detail = factsDetail(facts);
  detail.state = state;
  return detail;
}

function clientIdOf(msg: DhcpMessage): string | null {
  return msg.options.get(Opt.CLIENT_ID)?.toString("hex") ?? null;
}
