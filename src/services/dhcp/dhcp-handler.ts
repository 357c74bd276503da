/**
 * The DHCP service without sockets: one datagram in, the replies out (with
 * where each must go). It decodes, counts and hands the packet to the
 * exchange for the configured mode: full-exchange.ts, an RFC 2131 server
 * with leases in the store, or proxy-exchange.ts, the PXE spec's proxyDHCP,
 * which never hands out an address. In proxy mode the addresses clients are
 * seen taking from the other server go to `onBinding` (observed-binding.ts). Nothing a packet holds can make
 * handle() throw: a malformed packet is logged once, counted and dropped.
 */
import type { BootPlanner } from "../../boot/boot-planner.js";
import type { FleetConfig, Resolver } from "../../config/model.js";
import type { Clock, EventBus } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { decodeDhcp } from "../../protocols/dhcp/decode-dhcp.js";
import { DhcpCodecError } from "../../protocols/dhcp/dhcp-codec-error.js";
import { BOOTREQUEST, type DhcpMessage, MESSAGE_TYPE_NAMES } from "../../protocols/dhcp/dhcp-message.js";
import type { Store } from "../../store/store.js";
import { DhcpCounters } from "./dhcp-counters.js";
import type { DhcpInbound, DhcpOutbound } from "./dhcp-datagram.js";
import { DhcpEvents } from "./dhcp-events.js";
import { DropLog } from "./drop-log.js";
import { FullExchange } from "./full-exchange.js";
import { LeaseBook } from "./lease-book.js";
import { macOf } from "./machine-facts-from-packet.js";
import { MemoResolver } from "./memo-resolver.js";
import { NetworkLocator } from "./network-locator.js";
import { type DhcpBinding, observedBinding } from "./observed-binding.js";
import { ProxyExchange } from "./proxy-exchange.js";
import { ReplyRouter } from "./reply-router.js";
import { type LocalAddress, planServedNetworks, type ServedNetwork } from "./served-network.js";

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
  /**
   * Where clients listen: the DHCP port + 1 (68; 1068 beside a server on
   * 1067, the alternative ports Etherboot ROMs can be built for).
   */
  readonly clientPort?: number | undefined;
  /** How long an offer holds its address (default: see FullExchangeOptions). */
  readonly offerHoldMs?: number | undefined;
  /** How long a declined address stays out of the pool (default: see FullExchangeOptions). */
  readonly declineHoldMs?: number | undefined;
  /** Proxy mode: told of each address a client is seen taking from the other DHCP server. */
  readonly onBinding?: ((binding: DhcpBinding) => void) | undefined;
  /** Several servers on one PostgreSQL: the shared book (shared-lease-book.ts); default: this server's own. */
  readonly leases?: LeaseBook | undefined;
  /** High availability: whether this server answers a client now (src/ha/ha-scope.ts); default: every client. */
  readonly scope?: { serves(mac: string): boolean } | undefined;
}

export class DhcpHandler {
  readonly counters = new DhcpCounters();
  readonly networks: readonly ServedNetwork[];
  readonly leases: LeaseBook;
  readonly #mode: "full" | "proxy" | "off";
  readonly #logger: Logger;
  readonly #drops: DropLog;
  readonly #full: FullExchange;
  readonly #proxy: ProxyExchange;
  readonly #onBinding: ((binding: DhcpBinding) => void) | undefined;
  readonly #scope: { serves(mac: string): boolean } | undefined;

  constructor(options: DhcpHandlerOptions) {
    const dhcp = options.config.services.dhcp;
    this.#mode = dhcp.mode;
    this.#logger = options.logger;
    this.networks = planServedNetworks(options.config, options.addresses);
    this.leases = options.leases ?? new LeaseBook(options.store, options.clock);
    this.#drops = new DropLog({ counters: this.counters, logger: options.logger });
    const serverPort = options.serverPort ?? dhcp.port;
    const shared = {
      planner: options.planner,
      locate: new NetworkLocator(this.networks, this.#drops),
      router: new ReplyRouter({
        serverPort,
        clientPort: options.clientPort ?? serverPort + 1,
        counters: this.counters,
      }),
      events: new DhcpEvents(options.bus),
      drops: this.#drops,
    };
    this.#full = new FullExchange({
      ...shared,
      config: dhcp,
      resolver: new MemoResolver(options.resolver),
      leases: this.leases,
      logger: options.logger,
      clock: options.clock,
      offerHoldMs: options.offerHoldMs,
      declineHoldMs: options.declineHoldMs,
    });
    this.#proxy = new ProxyExchange(shared);
    this.#onBinding = options.onBinding;
    this.#scope = options.scope;
  }

  /** Loads the stored leases; call before the first handle(). */
  async start(): Promise<void> {
    if (this.#mode !== "full") return;
    const n = await this.leases.load();
    this.#logger.info(
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
      return this.#drops.drop(`malformed.${code}`, {
        from: `${inbound.address}:${inbound.port}`,
        error: (err as Error).message,
      });
    }
    try {
      if (msg.op !== BOOTREQUEST) return this.#drops.ignore("not-a-request");
      if (msg.messageType === null) return this.#drops.ignore("bootp"); // RFC 1542 BOOTP: not served
      this.counters.add(`in.${MESSAGE_TYPE_NAMES[msg.messageType]}`);
      if (this.#mode === "proxy") {
        // Every client's exchange, PXE or not: the proxy answers PXE clients only.
        const binding = this.#onBinding ? observedBinding(msg, inbound) : null;
        if (binding) this.#onBinding?.(binding);
        return await this.#proxy.handle(msg, inbound);
      }
      // A client of an HA peer's half (docs/ha.md): the peer answers it.
      if (this.#scope && !this.#scope.serves(macOf(msg))) return this.#drops.ignore("ha-peer");
      if (this.#mode === "full" && inbound.listener === "dhcp") return await this.#full.handle(msg, inbound);
      return this.#drops.ignore("listener-off");
    } catch (err) {
      // A bug or a store failure: this packet gets no reply, the server goes on.
      this.counters.add("errors");
      this.#logger.error(
        { mac: macOf(msg), err: String((err as Error)?.stack ?? err) },
        "dhcp: handling failed",
      );
      return [];
    }
  }

  /** Marks leases that ran out as expired (the service calls this every minute). */
  async expire(): Promise<number> {
    return this.#full.expire();
  }
}
