/**
 * The DHCP service's sockets around DhcpHandler.
 *
 * How replies leave by the right interface, and how we know where a
 * broadcast came from, without IP_PKTINFO or SO_BINDTODEVICE (node:dgram has
 * neither):
 * - One catch-all socket on 0.0.0.0:port receives every broadcast
 *   (Linux delivers 255.255.255.255 only to sockets bound to INADDR_ANY).
 * - One socket per local network, bound to our address there (same port,
 *   SO_REUSEADDR on all of them), sends that network's broadcasts: Linux
 *   routes a limited broadcast from a socket bound to a local address out of
 *   the interface holding that address ("Special hack: user can direct
 *   multicasts and limited broadcast via necessary interface", in
 *   ip_route_output_key_hash_rcu, net/ipv4/route.c), with that address as
 *   source, which is also the option 54 we put in the reply. It also
 *   receives unicasts to that address (renewals), which tells us the network.
 * - Which network a broadcast came from is read from the packet: giaddr
 *   (relayed), ciaddr, option 54, option 50. A DISCOVER carries none of
 *   these, so it is offered in every local network, each offer sent out of
 *   its own interface: the client hears only the one for its segment
 *   (network-locator.ts).
 * Limits: two local networks on one interface (secondary addresses on one
 * segment) get offers from both; a client moved between segments can get an
 * ACK for its old network on INIT-REBOOT that never reaches it, times out
 * and falls back to DISCOVER. Relayed networks have no such limits.
 * - Proxy mode adds a socket on the proxy port (4011); its replies go out
 *   of that socket, so their source port is 4011 (iPXE drops others).
 */
import type { BootPlanner } from "../../boot/boot-planner.js";
import type { FleetConfig, Resolver } from "../../config/model.js";
import { type Clock, type EventBus, systemClock } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import type { Store } from "../../store/store.js";
import type { DhcpInbound, DhcpListener, DhcpOutbound } from "./dhcp-datagram.js";
import { DhcpHandler, type DhcpHandlerOptions } from "./dhcp-handler.js";
import { DhcpIntakeQueue, peekIsDiscover } from "./dhcp-intake-queue.js";
import { type DhcpSocketBinder, type DhcpUdpSocket, dgramBinder } from "./dhcp-udp-socket.js";
import { localAddresses } from "./local-addresses.js";
import { loadNativeDatagrams, nativeDhcpBinder } from "./native-dhcp-socket.js";
import type { LocalAddress } from "./served-network.js";

export interface DhcpServiceDeps {
  readonly config: Pick<FleetConfig, "networks" | "hosts" | "server" | "services">;
  readonly resolver: Resolver;
  readonly planner: BootPlanner;
  readonly store: Store;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly clock?: Clock | undefined;
  /** Default: os.networkInterfaces(). */
  readonly addresses?: readonly LocalAddress[] | undefined;
  /** Default: the native addon's sockets when it is built (native-dhcp-socket.ts), else node:dgram. */
  readonly bind?: DhcpSocketBinder | undefined;
  /** The catch-all socket's address; default 0.0.0.0 (tests: 127.0.0.1). */
  readonly listenAddress?: string | undefined;
  /** Override services.dhcp.port / proxy_port (tests: 0 for any free port). */
  readonly port?: number | undefined;
  readonly proxyPort?: number | undefined;
  /** Where clients listen (default port + 1); tests on port 0 set it. */
  readonly clientPort?: number | undefined;
  /** Per-network sending sockets (default true; needs a fixed port). */
  readonly perInterface?: boolean | undefined;
  /** How often running leases are checked for expiry (default 60 s; 0 = never). */
  readonly expireEveryMs?: number | undefined;
  /** Proxy mode: each address a client is seen taking from the other DHCP server (the identity module keeps it). */
  readonly onBinding?: DhcpHandlerOptions["onBinding"];
  /** Several servers on one PostgreSQL: the shared lease book and this server's HA scope. */
  readonly leases?: DhcpHandlerOptions["leases"];
  readonly scope?: DhcpHandlerOptions["scope"];
}

export class DhcpService {
  readonly handler: DhcpHandler;
  readonly #d: DhcpServiceDeps;
  readonly #log: Logger;
  #main: DhcpUdpSocket | null = null;
  #proxy: DhcpUdpSocket | null = null;
  readonly #byAddress = new Map<string, DhcpUdpSocket>();
  #timer: NodeJS.Timeout | null = null;
  readonly #intake: DhcpIntakeQueue<DhcpInbound>;

  constructor(deps: DhcpServiceDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ service: "dhcp" });
    const port = deps.port ?? deps.config.services.dhcp.port;
    this.handler = new DhcpHandler({
      config: deps.config,
      addresses: deps.addresses ?? localAddresses(),
      resolver: deps.resolver,
      planner: deps.planner,
      store: deps.store,
      bus: deps.bus,
      logger: this.#log,
      clock: deps.clock ?? systemClock,
      serverPort: port,
      clientPort: deps.clientPort,
      onBinding: deps.onBinding,
      leases: deps.leases,
      scope: deps.scope,
    });
    this.#intake = new DhcpIntakeQueue<DhcpInbound>({
      maxInFlight: 64,
      maxDiscovers: 256,
      perTurn: 16,
      onShed: () => this.handler.counters.add("dropped.overload-discover"),
      run: async (inbound) => {
        for (const r of await this.handler.handle(inbound)) this.#send(r);
      },
    });
  }

  /** The bound ports (useful with port 0). */
  get ports(): { dhcp: number; proxy: number | null } {
    return { dhcp: this.#main?.address().port ?? 0, proxy: this.#proxy?.address().port ?? null };
  }

  get counters(): Record<string, number> {
    return this.handler.counters.snapshot();
  }

  async start(): Promise<void> {
    const d = this.#d;
    const mode = d.config.services.dhcp.mode;
    if (mode === "off") return;
    await this.handler.start();
    const native = d.bind === undefined ? loadNativeDatagrams() : null;
    const bind = d.bind ?? (native ? nativeDhcpBinder(native) : dgramBinder);
    const port = d.port ?? d.config.services.dhcp.port;
    const listen = d.listenAddress ?? "0.0.0.0";
    this.#main = await bind(listen, port);
    this.#attach(this.#main, "dhcp");
    if (d.perInterface ?? port !== 0) {
      for (const net of this.handler.networks) {
        if (!net.local || this.#byAddress.has(net.serverId)) continue;
        const s = await bind(net.serverId, port);
        this.#attach(s, "dhcp", net.serverId);
        this.#byAddress.set(net.serverId, s);
      }
    }
    if (mode === "proxy") {
      this.#proxy = await bind(listen, d.proxyPort ?? d.config.services.dhcp.proxy_port);
      this.#attach(this.#proxy, "proxy");
    }
    const every = d.expireEveryMs ?? 60_000;
    if (mode === "full" && every > 0) {
      this.#timer = setInterval(() => {
        this.handler
          .expire()
          .catch((err) => this.#log.error({ err: String(err) }, "dhcp: lease expiry failed"));
      }, every);
      this.#timer.unref();
    }
    this.#log.info(
      {
        mode,
        port: this.ports.dhcp,
        proxy_port: this.ports.proxy ?? undefined,
        interfaces: [...this.#byAddress.keys()],
        io: d.bind ? undefined : native ? "native" : "node:dgram",
      },
      "dhcp: listening",
    );
  }

  /** Closes the sockets, then waits for the packets being handled (their lease writes) to finish. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const s of [this.#main, this.#proxy, ...this.#byAddress.values()]) s?.close();
    this.#main = null;
    this.#proxy = null;
    this.#byAddress.clear();
    await this.#intake.close();
  }

  #attach(socket: DhcpUdpSocket, listener: DhcpListener, localAddress?: string): void {
    socket.on("error", (err) => this.#log.error({ err: String(err) }, "dhcp: socket error"));
    socket.on("message", (data, rinfo) => {
      this.#intake.push(
        { data, address: rinfo.address, port: rinfo.port, listener, localAddress },
        peekIsDiscover(data),
      );
    });
  }

  #send(r: DhcpOutbound): void {
    const socket =
      r.from === "proxy" ? this.#proxy : ((r.via ? this.#byAddress.get(r.via) : undefined) ?? this.#main);
    if (!socket) return;
    socket.send(r.data, r.port, r.address, (err) => {
      if (err) {
        this.handler.counters.add("send-errors");
        this.#log.warn({ to: `${r.address}:${r.port}`, err: String(err) }, "dhcp: send failed");
      }
    });
  }
}
