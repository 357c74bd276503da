/**
 * Router advertisements that say "no router here", so a booting machine
 * stops waiting for one.
 *
 * iPXE configures IPv6 beside DHCPv4 at every boot and waits for the slower
 * of the two: its IPv6 configurator sends router solicitations (at 0, 0.25,
 * 0.8, 1.8, 3.9, 8 s) and gives up after about 15 s when nothing answers.
 * In iPXE's src/net/ndp.c, ipv6conf_rx_router_advertisement() ends that
 * wait at the first advertisement heard while it is soliciting: with M and
 * O clear it finishes at once (M or O would start DHCPv6 and wait for that
 * instead); an advertisement heard outside that window is ignored, so
 * answering solicitations is what counts. Router lifetime 0 makes iPXE treat
 * us as no router at all (ndp_prefix_fetch_gateway6), and makes any host
 * leave us out of its default routers (RFC 4861 §6.3.4); no prefix option
 * means nobody takes an address from us. dnsmasq's enable-ra does the same
 * job with prefixes.
 *
 * Measured with QEMU's iPXE ROM: advertisements that reach it in the first
 * half second or so after its first solicitation are lost (it is not
 * reading yet), so every solicitation is answered, not only the first.
 *
 * Answers go to the solicitor itself, unicast, which RFC 4861 §6.2.6 allows
 * and RFC 7772 §5.1 recommends: unlike multicast answers they are not rate
 * limited to one per 3 s, so a lab powering on at once is answered at once.
 * A solicitation from the unspecified address can only be answered by
 * multicast. Besides, each interface sends a few unsolicited ones when it
 * starts and then one every few minutes (§6.2.4).
 */
import { constants } from "node:os";
import { type Clock, systemClock } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { decodeNdp } from "../../protocols/ndp/decode-ndp.js";
import { encodeNdp } from "../../protocols/ndp/encode-ndp.js";
import { NdpDecodeError } from "../../protocols/ndp/ndp-decode-error.js";
import {
  NdpType,
  type RouterAdvertisement,
  type RouterSolicitation,
} from "../../protocols/ndp/ndp-message.js";
import type { Icmpv6Message, Icmpv6Socket, Icmpv6SocketSpec } from "./icmpv6-socket.js";

/** RFC 4861 §6.1: hop limit 255 on receipt proves the message came from this link. */
const LINK_HOP_LIMIT = 255;
const ALL_NODES = "ff02::1";
const ALL_ROUTERS = "ff02::2";
const UNSPECIFIED = "::";

/** RFC 4861 §10 router constants, in milliseconds. */
const MAX_RA_DELAY_TIME_MS = 500;
const MIN_DELAY_BETWEEN_RAS_MS = 3_000;
const MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
const MAX_INITIAL_RTR_ADVERT_INTERVAL_MS = 16_000;
/** RFC 4861 §6.2.1 defaults: MaxRtrAdvInterval 600 s, MinRtrAdvInterval 0.33 of it. */
const MAX_RTR_ADV_INTERVAL_MS = 600_000;
const MIN_RTR_ADV_INTERVAL_MS = 198_000;
/** Answers waiting for their random delay, per interface; solicitors beyond it get the next multicast one. */
const MAX_PENDING_ANSWERS = 1024;
/** Other routers remembered per interface, to warn about each once. */
const MAX_OTHER_ROUTERS = 64;

/** What the advertiser's sockets must pass, send and join. */
export const ROUTER_SOCKET: Icmpv6SocketSpec = {
  // §4.1, §4.2: router discovery messages are sent with hop limit 255.
  hopLimit: LINK_HOP_LIMIT,
  types: [NdpType.ROUTER_SOLICITATION, NdpType.ROUTER_ADVERTISEMENT],
  // Solicitations go to all-routers (§6.3.7): a host that is not a router is not in that group.
  groups: [ALL_ROUTERS],
};

/** The only advertisement sent: not a default router (lifetime 0), M=0 O=0, nothing else specified. */
const NO_ROUTER: RouterAdvertisement = {
  type: NdpType.ROUTER_ADVERTISEMENT,
  curHopLimit: 0,
  managed: false,
  other: false,
  routerLifetime: 0,
  reachableTime: 0,
  retransTimer: 0,
};

export interface AdvertiserTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: AdvertiserTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface RouterAdvertiserDeps {
  /** One socket per served interface (NativeIcmpv6Socket with ROUTER_SOCKET, or a fake). */
  readonly sockets: readonly Icmpv6Socket[];
  readonly logger: Logger;
  readonly timers?: AdvertiserTimers | undefined;
  readonly clock?: Clock | undefined;
  /** In [0, 1): the random delays of §6.2.4 and §6.2.6. */
  readonly random?: (() => number) | undefined;
}

interface AdvertisingInterface {
  readonly socket: Icmpv6Socket;
  /** Solicitor address -> its answer's timer. */
  readonly pending: Map<string, unknown>;
  readonly otherRouters: Set<string>;
  /** Send errors already logged, by errno. */
  readonly failures: Set<number>;
  multicastTimer: unknown;
  unsolicitedTimer: unknown;
  unsolicitedSent: number;
  lastMulticastAt: number;
}

const errnoNames = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export class RouterAdvertiser {
  readonly #interfaces: AdvertisingInterface[];
  readonly #logger: Logger;
  readonly #timers: AdvertiserTimers;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #advertisement = encodeNdp(NO_ROUTER);
  #closed = false;

  constructor(deps: RouterAdvertiserDeps) {
    this.#logger = deps.logger;
    this.#timers = deps.timers ?? systemTimers;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? Math.random;
    this.#interfaces = deps.sockets.map((socket) => ({
      socket,
      pending: new Map(),
      otherRouters: new Set(),
      failures: new Set(),
      multicastTimer: undefined,
      unsolicitedTimer: undefined,
      unsolicitedSent: 0,
      lastMulticastAt: Number.NEGATIVE_INFINITY,
    }));
  }

  get interfaceNames(): string[] {
    return this.#interfaces.map((i) => i.socket.interfaceName);
  }

  start(): void {
    for (const iface of this.#interfaces) {
      iface.socket.onMessage((m) => this.#receive(iface, m));
      this.#unsolicited(iface);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const iface of this.#interfaces) {
      for (const timer of iface.pending.values()) this.#timers.clearTimeout(timer);
      iface.pending.clear();
      if (iface.multicastTimer !== undefined) this.#timers.clearTimeout(iface.multicastTimer);
      if (iface.unsolicitedTimer !== undefined) this.#timers.clearTimeout(iface.unsolicitedTimer);
      iface.socket.close();
    }
  }

  #receive(iface: AdvertisingInterface, m: Icmpv6Message): void {
    const log = { interface: iface.socket.interfaceName, source: m.source };
    if (m.hopLimit !== LINK_HOP_LIMIT) {
      this.#logger.debug(
        { ...log, hop_limit: m.hopLimit },
        "ra: dropped: hop limit is not 255, so it did not come from this link (RFC 4861 §6.1)",
      );
      return;
    }
    let message: RouterSolicitation | RouterAdvertisement;
    try {
      message = decodeNdp(m.bytes);
    } catch (e) {
      if (!(e instanceof NdpDecodeError)) throw e;
      this.#logger.debug({ ...log, err: e.message }, "ra: dropped a malformed message");
      return;
    }
    if (message.type === NdpType.ROUTER_SOLICITATION) this.#solicited(iface, m.source, message);
    else this.#heardRouter(iface, m.source, message);
  }

  #solicited(iface: AdvertisingInterface, source: string, rs: RouterSolicitation): void {
    if (source === UNSPECIFIED) {
      // §6.1.1: from the unspecified address a solicitation carries no link-layer address.
      if (rs.sourceLinkLayer === undefined) this.#multicastSoon(iface);
      return;
    }
    // One answer per solicitor in flight: its retransmissions are answered by it.
    if (iface.pending.has(source)) return;
    if (iface.pending.size >= MAX_PENDING_ANSWERS) {
      this.#multicastSoon(iface);
      return;
    }
    // §6.2.6: every answer waits a random time up to MAX_RA_DELAY_TIME.
    const timer = this.#timers.setTimeout(() => {
      iface.pending.delete(source);
      this.#send(iface, source);
    }, this.#random() * MAX_RA_DELAY_TIME_MS);
    iface.pending.set(source, timer);
  }

  /** A multicast advertisement within MAX_RA_DELAY_TIME, but no sooner than MIN_DELAY_BETWEEN_RAS after the last (§6.2.6). */
  #multicastSoon(iface: AdvertisingInterface): void {
    if (iface.multicastTimer !== undefined) return;
    const earliest = iface.lastMulticastAt + MIN_DELAY_BETWEEN_RAS_MS - this.#clock.now();
    const delay = Math.max(this.#random() * MAX_RA_DELAY_TIME_MS, earliest);
    iface.multicastTimer = this.#timers.setTimeout(() => {
      iface.multicastTimer = undefined;
      this.#multicast(iface);
    }, delay);
  }

  /** Unsolicited advertisements (§6.2.4): the first few at most 16 s apart, then every 198-600 s. */
  #unsolicited(iface: AdvertisingInterface): void {
    this.#multicast(iface);
    iface.unsolicitedSent++;
    let interval =
      MIN_RTR_ADV_INTERVAL_MS + this.#random() * (MAX_RTR_ADV_INTERVAL_MS - MIN_RTR_ADV_INTERVAL_MS);
    if (iface.unsolicitedSent < MAX_INITIAL_RTR_ADVERTISEMENTS)
      interval = Math.min(interval, MAX_INITIAL_RTR_ADVERT_INTERVAL_MS);
    iface.unsolicitedTimer = this.#timers.setTimeout(() => this.#unsolicited(iface), interval);
  }

  #multicast(iface: AdvertisingInterface): void {
    iface.lastMulticastAt = this.#clock.now();
    this.#send(iface, ALL_NODES);
  }

  #send(iface: AdvertisingInterface, destination: string): void {
    if (this.#closed) return;
    const n = iface.socket.send(destination, this.#advertisement);
    if (n >= 0) {
      this.#logger.debug({ interface: iface.socket.interfaceName, to: destination }, "ra: sent");
      return;
    }
    // Once per kind of failure: EADDRNOTAVAIL while the interface's link-local
    // address is still tentative (DAD, RFC 4862 §5.4) would repeat at every boot.
    if (iface.failures.has(n)) return;
    iface.failures.add(n);
    this.#logger.warn(
      { interface: iface.socket.interfaceName, to: destination, err: errnoNames.get(-n) ?? String(-n) },
      "ra: an advertisement could not be sent (the interface has no usable IPv6 link-local address?)",
    );
  }

  /**
   * Another router's advertisement. One that routes (lifetime > 0) or hands
   * out DHCPv6 means the segment has a real IPv6 router: iPXE's wait ends
   * without us there, and our M=0 O=0 only add noise. Said once per router.
   */
  #heardRouter(iface: AdvertisingInterface, source: string, ra: RouterAdvertisement): void {
    if (ra.routerLifetime === 0 && !ra.managed && !ra.other) return;
    if (iface.otherRouters.has(source) || iface.otherRouters.size >= MAX_OTHER_ROUTERS) return;
    iface.otherRouters.add(source);
    this.#logger.warn(
      {
        interface: iface.socket.interfaceName,
        router: source,
        router_lifetime: ra.routerLifetime,
        managed: ra.managed,
        other: ra.other,
      },
      "ra: an IPv6 router advertises on this segment; bootfleet's advertisements are not needed here (services.ra.enabled: false turns them off)",
    );
  }
}
