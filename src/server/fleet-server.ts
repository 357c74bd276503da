/**
 * `bootfleet serve`: builds the parts from one frozen config and starts the
 * enabled services. Data flows one way: config -> resolver -> planner ->
 * services -> event bus -> store. Each service gets its sockets, the store,
 * the bus and a logger handed in; this file is the only place that knows
 * them all.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { availableParallelism, networkInterfaces } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createBootMetrics } from "../api/boot-metrics.js";
import { wolWakeSender } from "../api/wol-wake-sender.js";
import { FleetBootPlanner } from "../boot/fleet-boot-planner.js";
import {
  DEBIAN_GRUB_BINARIES,
  missingArm64Loader,
  missingGrubFiles,
  SHIM_CHAIN_FILES,
} from "../boot/grub-files.js";
import { layersWithLoader } from "../boot/loader-layers.js";
import { DEBIAN_SYSLINUX_DIRS, missingSyslinuxFiles } from "../boot/syslinux-files.js";
import { ImageCatalog, NBD_COW_DIR } from "../images/image-catalog.js";
import { CatalogNfsExports } from "../images/catalog-nfs-exports.js";
import { CatalogExportSource } from "../images/nbd-export-source.js";
import { ImagePuller } from "../images/image-puller.js";
import { openPublishedImages, publisherOf } from "../images/open-published-images.js";
import { publishCurrentVersions } from "../images/publish-image.js";
import type { PublishedImages } from "../images/published-images.js";
import { type Ha, openHa } from "../ha/open-ha.js";
import { NFS_TREES_DIR, SquashfsTreeCache } from "../images/squashfs-tree-cache.js";
import { DhcpService } from "../services/dhcp/dhcp-service.js";
import { createAdminHttp } from "./admin-http.js";
import { localAddresses } from "../services/dhcp/local-addresses.js";
import { FileCache } from "../services/file-cache/file-cache.js";
import { NbdService } from "../services/nbd/nbd-service.js";
import { NfsService } from "../services/nfs/nfs-service.js";
import { SyslogService } from "../services/syslog/syslog-service.js";
import { dgramTransferSocketFactory } from "../services/tftp/dgram-transfer-socket-factory.js";
import { loadNativeUdp, type NativeUdp } from "../services/tftp/native-udp.js";
import { FLEET_MACHINES, openFilesNeeded, softOpenFileLimit } from "./open-file-limit.js";
import { TftpService } from "../services/tftp/tftp-service.js";
import { WolSender, type WolSocket } from "../wol/wol-sender.js";
import { catalogImageAdmin, catalogImageLookup } from "./catalog-adapters.js";
import { DEFAULT_EVENTS_KEEP_DAYS, DEFAULT_IPXE_DIR, type ServerRole } from "../config/config-schema.js";
import { advertisedInterfaces, startRouterAdvertisements } from "./router-advertisements.js";
import { MachineOverrides } from "../config/machine-overrides.js";
import type { FleetConfig } from "../config/model.js";
import { FleetResolver } from "../config/resolve-machine.js";
import { EventBus, systemClock } from "../events/event-bus.js";
import { ClientIdentity } from "../identity/client-identity.js";
import { IdentityMismatchLog } from "../identity/identity-mismatch-log.js";
import type { Logger } from "../logging/logger.js";
import { EventRecorder } from "../store/event-recorder.js";
import { EventRetention } from "../store/event-retention.js";
import { machineStateFor } from "../store/machine-state-for.js";
import { openStore as openBackend } from "../store/open-store.js";
import type { Store } from "../store/store.js";

export interface RunningService {
  readonly name: string;
  /** Where it listens, for the start-up summary: "udp 0.0.0.0:69". */
  readonly where: string;
  stop(): Promise<void>;
}

export interface FleetServerOptions {
  readonly config: FleetConfig;
  readonly logger: Logger;
  /** An already open store (tests); default: the config's store. */
  readonly store?: Store | undefined;
  /** Makes the Wake-on-LAN socket (tests record the packets); default a node:dgram udp4 socket. */
  readonly wolSocket?: (() => WolSocket) | undefined;
}

export class FleetServer {
  readonly config: FleetConfig;
  readonly bus: EventBus;
  readonly store: Store;
  readonly resolver: FleetResolver;
  /** Images set per machine through the API: loaded from the store at start, kept in step by the API. */
  readonly overrides: MachineOverrides;
  readonly services: RunningService[] = [];
  /**
   * Which machine is at an address, from DHCP evidence and the config only:
   * NBD copy-on-write layers, stage reports, syslog attribution and secret
   * layer entries are bound to it.
   */
  readonly identity: ClientIdentity;
  /** Refusals for want of identity, one event per machine and source per minute. */
  readonly mismatches: IdentityMismatchLog;
  readonly #logger: Logger;
  /** Several servers on one PostgreSQL (docs/ha.md); null for one server. */
  #ha: Ha | null = null;
  /** Image publishing between the servers of a split fleet (docs/ha.md); null on SQLite. */
  #published: PublishedImages | null = null;
  #puller: ImagePuller | null = null;
  readonly recorder: EventRecorder;
  /** Deletes events older than `events.keep_days`, hourly. */
  readonly retention: EventRetention;
  planner: FleetBootPlanner | undefined;
  catalog: ImageCatalog | undefined;

  private constructor(
    config: FleetConfig,
    store: Store,
    logger: Logger,
    overrides: MachineOverrides,
    identity: ClientIdentity,
  ) {
    this.config = config;
    this.store = store;
    this.#logger = logger;
    this.bus = new EventBus();
    this.overrides = overrides;
    this.identity = identity;
    this.mismatches = new IdentityMismatchLog({ bus: this.bus, logger: logger.child({ part: "identity" }) });
    // The resolver reads overrides from memory: a DHCP answer never waits on the store.
    this.resolver = new FleetResolver(config, overrides);
    this.recorder = new EventRecorder({ store, bus: this.bus, logger: logger.child({ part: "events" }) });
    this.retention = new EventRetention({
      store,
      logger: logger.child({ part: "events" }),
      keepDays: config.events?.keep_days ?? DEFAULT_EVENTS_KEEP_DAYS,
    });
    this.retention.start();
  }

  static async start(opts: FleetServerOptions): Promise<FleetServer> {
    const { config, logger } = opts;
    mkdirSync(config.server.data_dir, { recursive: true });
    const store = opts.store ?? openStore(config);
    await store.migrate();
    let overrides: MachineOverrides;
    let identity: ClientIdentity;
    try {
      overrides = new MachineOverrides(await store.listMachineOverrides());
      identity = await ClientIdentity.open({ config, store, logger });
    } catch (e) {
      if (!opts.store) await store.close();
      throw e;
    }
    if (overrides.size > 0) logger.info({ machines: overrides.size }, "images set through the API loaded");
    warnOnFewOpenFiles(logger);
    const server = new FleetServer(config, store, logger, overrides, identity);
    try {
      await server.#startServices(opts.wolSocket ?? (() => createSocket("udp4")));
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  async #startServices(wolSocket: () => WolSocket): Promise<void> {
    const { config, bus, store, resolver, identity, mismatches } = this;
    const logger = this.#logger;
    const svc = config.services;
    // `server.roles`: a build server or a file server of a split fleet runs only its part.
    const runs = (role: ServerRole) => config.server.roles.includes(role);
    const catalog = new ImageCatalog(config.server.data_dir);
    const images = catalogImageLookup(catalog);
    const planner = new FleetBootPlanner({
      config,
      resolver,
      images,
      logger,
      ipxeDir: DEFAULT_IPXE_DIR,
      grubBinaries: DEBIAN_GRUB_BINARIES,
      syslinuxDirs: DEBIAN_SYSLINUX_DIRS,
      // Asked only for machines with secret files or settings, by the layer
      // archive over HTTP and TFTP alike: anyone else gets it without them.
      isMachineAt: async (mac, ip) => {
        if (await identity.isMachineAt(mac, ip)) return true;
        mismatches.report({
          service: "layers",
          mac,
          ip,
          reason:
            "secret files and settings left out of the layer archive: the address is not this machine's",
        });
        return false;
      },
    });
    this.planner = planner;
    this.catalog = catalog;
    const metrics = createBootMetrics(bus, { processMetrics: true });
    // Replies and transfer sockets leave from the address clients were told
    // to use, when this host has it; else from whatever the kernel picks.
    const local = localIpv4Addresses().includes(config.server.address) ? config.server.address : "0.0.0.0";
    // One memory budget for the boot files TFTP and HTTP send: a kernel
    // fetched over both is read and kept once.
    const fileCache = new FileCache();
    // Several servers on one PostgreSQL (docs/ha.md): shared leases, HA scope, fleet-wide live view.
    // Closed in stop() after the services: DHCP finishes its lease claims first.
    const ha = await openHa(config, store, this.recorder, logger.child({ part: "ha" }), systemClock);
    this.#ha = ha;

    let httpPort = svc.http.port;
    if (runs("http") && svc.http.enabled) {
      // The admin page's wake, sent three times like other WoL senders.
      const wol = new WolSender({ createSocket: wolSocket, repeat: 3 });
      const app = createAdminHttp({
        config,
        resolver,
        planner,
        store,
        bus,
        images,
        imageAdmin: catalogImageAdmin(catalog, config),
        logger,
        identity,
        mismatches,
        metrics: metrics.registry,
        webRoot: webRoot(),
        fileCache,
        onPersisted: (l) => (ha ? ha.events.onPersisted(l) : this.recorder.onPersisted(l)),
        overrides: this.overrides,
        wake: wolWakeSender(wol),
      });
      await app.listen({ host: svc.http.bind, port: svc.http.port });
      const port = (app.server.address() as AddressInfo).port;
      httpPort = port;
      if (svc.http.port === 0) planner.setHttpBase(`http://${config.server.address}:${port}`);
      this.services.push({
        name: "http",
        where: `tcp ${svc.http.bind}:${port}`,
        stop: async () => {
          wol.close();
          // Downloads under way (a kernel, an image fetched into a client's
          // RAM) get the grace to finish; then their connections are cut
          // and the clients fetch again from the server started next.
          const cut = setTimeout(() => app.server.closeAllConnections(), STOP_GRACE_MS);
          try {
            await app.close();
          } finally {
            clearTimeout(cut);
          }
        },
      });
    }

    if (runs("tftp") && svc.tftp.enabled) {
      mkdirSync(svc.tftp.root, { recursive: true });
      // Before binding: io "native" without the addon stops the start here.
      const workers = tftpWorkers(svc.tftp, local, logger);
      const socket = await bindUdp("0.0.0.0", svc.tftp.port, "tftp");
      const tftp = new TftpService({
        socket,
        createTransferSocket: dgramTransferSocketFactory(local),
        // A lab powering on at once: transfers run on every core (worker
        // threads sharing the file cache's memory), not on the event loop.
        transferWorkers: workers,
        fileCache,
        root: svc.tftp.root,
        options: {
          maxTransfers: svc.tftp.max_transfers,
          maxTransfersPerClient: svc.tftp.max_transfers_per_client,
          caseInsensitive: svc.tftp.case_insensitive,
        },
        planner,
        bus,
        logger,
      });
      tftp.start();
      // `loader: grub` without Debian's signed GRUB installed: say so now, not at the first boot.
      const grubAt = layersWithLoader(config, "grub");
      if (grubAt.length > 0)
        for (const problem of missingGrubFiles(DEBIAN_GRUB_BINARIES, svc.tftp.root))
          logger.warn({ loader: "grub", set_in: grubAt }, problem);
      // `loader: shim` without shim-signed (or its GRUB): say so now, not at the first boot.
      const shimAt = layersWithLoader(config, "shim");
      if (shimAt.length > 0)
        for (const problem of missingGrubFiles(DEBIAN_GRUB_BINARIES, svc.tftp.root, [...SHIM_CHAIN_FILES]))
          logger.warn({ loader: "shim", set_in: shimAt }, problem);
      // `loader: pxelinux` without pxelinux installed: say so now, not at the first boot.
      const pxelinuxAt = layersWithLoader(config, "pxelinux");
      if (pxelinuxAt.length > 0)
        for (const problem of missingSyslinuxFiles(DEBIAN_SYSLINUX_DIRS, svc.tftp.root))
          logger.warn({ loader: "pxelinux", set_in: pxelinuxAt }, problem);
      // No first stage for ARM64 on this server: say so now, naming the package.
      const arm64 = missingArm64Loader(DEFAULT_IPXE_DIR, DEBIAN_GRUB_BINARIES, svc.tftp.root);
      if (arm64 !== null) logger.warn({ arch: "uefi-arm64" }, arm64);
      this.services.push({
        name: "tftp",
        where: `udp ${socket.address().address}:${socket.address().port} root ${svc.tftp.root}, ${transferWorkersText(workers)}`,
        stop: async () => {
          // No new transfers; those under way get the grace to finish, then
          // are cut (the firmware asks again, RFC 1350 section 2).
          socket.close();
          await until(() => tftp.stats().active === 0, STOP_GRACE_MS);
          tftp.close();
        },
      });
    }

    if (runs("nbd") && svc.nbd.enabled) {
      const nbd = new NbdService({
        listen: { host: svc.nbd.bind, port: svc.nbd.port },
        source: new CatalogExportSource(catalog, {
          machineAt: (address) => identity.machineAt(address),
          cowFor: (_name, client, mac) => {
            // No machine proven there: what any machine at that address would
            // get (defaults, network, address layer; no host, no MAC match).
            const m = resolver.resolve({ mac: mac ?? "", ip: client.address });
            if (!m.nbd.cow.value) return undefined;
            // A layer belongs to a machine: none proven, the source refuses.
            if (mac === undefined) return {};
            return m.nbd.cow_keep.value ? { keepKey: mac } : { holdKey: mac };
          },
          onRefused: (client, name, reason) =>
            mismatches.report({
              service: "nbd",
              mac: null,
              ip: client.address,
              reason,
              detail: { export: name },
            }),
        }),
        bus,
        logger,
        options: {
          cowDir: join(config.server.data_dir, NBD_COW_DIR),
          maxConnections: svc.nbd.max_connections,
          maxConnectionsPerClient: svc.nbd.max_connections_per_client,
          cowHoldMs: svc.nbd.cow_hold_seconds * 1000,
        },
      });
      const addr = await nbd.start();
      // A machine that fetches its kernel, or whose hook reports the initrd
      // stage, boots anew from the image: the layer its last boot wrote is
      // not for this one.
      const unsubscribe = bus.subscribe((e) => {
        if (e.mac && machineStateFor(e, "up") === "loading") nbd.machineBooted(e.mac);
      });
      this.services.push({
        name: "nbd",
        where: `tcp ${addr.address}:${addr.port}`,
        stop: async () => {
          unsubscribe();
          await nbd.stop(STOP_GRACE_MS);
        },
      });
    }

    if (runs("nfs") && svc.nfs?.enabled) {
      const nfsConfig = svc.nfs;
      // Each distinct port gets TCP and UDP; every program answers on all of them.
      const bound = new Map<number, { tcp: Server; udp: UdpSocket }>();
      const ports = { nfs: 0, mount: 0, portmap: 0 };
      for (const [which, wanted] of [
        ["nfs", nfsConfig.port],
        ["mount", nfsConfig.mount_port],
        ["portmap", nfsConfig.portmap_port],
      ] as const) {
        const have = wanted === 0 ? undefined : bound.get(wanted);
        if (have) {
          ports[which] = wanted;
          continue;
        }
        const tcp = await listenTcp(nfsConfig.bind, wanted, "nfs");
        const port = (tcp.address() as AddressInfo).port;
        const udp = await bindUdp(nfsConfig.bind, port, "nfs").catch((e) => {
          tcp.close();
          throw e;
        });
        bound.set(port, { tcp, udp });
        ports[which] = port;
      }
      const trees = new SquashfsTreeCache(join(config.server.data_dir, NFS_TREES_DIR));
      // Trees of versions removed since the last start go (and unpacks a crash left).
      const versions = (await catalog.list()).flatMap((i) => i.versions.map((v) => `${i.name}@${v}`));
      await trees.prune(new Set(versions));
      const exports = new CatalogNfsExports(catalog, { trees, logger: logger.child({ part: "nfs" }) });
      const nfs = new NfsService({ source: exports, ports, logger: logger.child({ part: "nfs" }) });
      for (const { tcp, udp } of bound.values()) {
        nfs.attachTcp(tcp);
        nfs.attachUdp(udp);
      }
      this.services.push({
        name: "nfs",
        where: `tcp+udp ${nfsConfig.bind} nfs ${ports.nfs}, mount ${ports.mount}, portmap ${ports.portmap}`,
        stop: async () => {
          await nfs.stop();
          await exports.close();
        },
      });
    }

    if (runs("syslog") && svc.syslog.enabled) {
      const udp = await bindUdp(svc.syslog.bind, svc.syslog.port, "syslog");
      const tcp = await listenTcp(svc.syslog.bind, svc.syslog.port, "syslog");
      const syslog = new SyslogService({
        store,
        bus,
        logger,
        machineAt: (ip) => identity.machineAt(ip),
        retention: { perMachine: svc.syslog.per_machine, total: svc.syslog.total },
      });
      syslog.attachUdp(udp);
      syslog.attachTcp(tcp);
      this.services.push({
        name: "syslog",
        where: `udp+tcp ${svc.syslog.bind}:${svc.syslog.port}`,
        stop: async () => {
          await syslog.close();
          udp.close();
          await new Promise<void>((r) => tcp.close(() => r()));
        },
      });
    }

    if (runs("dhcp") && svc.dhcp.mode !== "off") {
      const dhcp = new DhcpService({
        config,
        resolver,
        planner,
        store,
        bus,
        logger,
        // Proxy mode: the exchanges another server answers prove who is where.
        onBinding: (binding) => identity.observe(binding),
        leases: svc.dhcp.mode === "full" ? ha?.leases : undefined,
        scope: svc.dhcp.mode === "full" ? ha?.scope : undefined,
      });
      await dhcp.start();
      const ports = dhcp.ports;
      this.services.push({
        name: `dhcp (${svc.dhcp.mode})`,
        where: `udp ${ports.dhcp}${ports.proxy ? ` and ${ports.proxy}` : ""}`,
        stop: () => dhcp.stop(),
      });
    }

    if (svc.ra.enabled && runs("dhcp")) {
      const advertiser = startRouterAdvertisements(advertisedInterfaces(config, localAddresses()), logger);
      if (advertiser)
        this.services.push({
          name: "ra",
          where: `icmpv6 ${advertiser.interfaceNames.join(", ")} (router lifetime 0)`,
          stop: async () => advertiser.close(),
        });
    }

    await this.#startPublishing(catalog, runs, httpPort);
  }

  /**
   * Split roles on a shared store: a build server publishes its images'
   * current versions (those built while the store was away too; `image
   * build` publishes new ones); a server that serves images and builds none
   * pulls what the build servers publish.
   */
  async #startPublishing(
    catalog: ImageCatalog,
    runs: (role: ServerRole) => boolean,
    httpPort: number,
  ): Promise<void> {
    const serves = runs("http") || runs("nbd") || runs("nfs");
    if (!runs("build") && !serves) return;
    const published = await openPublishedImages(this.config);
    if (!published) return;
    this.#published = published;
    const logger = this.#logger.child({ part: "images" });
    const publisher = publisherOf(this.config, httpPort);
    if (runs("build")) {
      const done = await publishCurrentVersions(catalog, published, publisher);
      if (done.length > 0) logger.info({ versions: done, url: publisher.url }, "images published");
      return;
    }
    const puller = new ImagePuller({
      catalog,
      published,
      server: publisher.server,
      logger,
      keep: this.config.images_keep,
    });
    this.#puller = puller;
    await puller.start();
  }

  /**
   * Stops every service at once (each finishes or cuts what is under way
   * within STOP_GRACE_MS; a lease being granted is written first), then
   * writes the events still queued, then closes the store: nothing a client
   * was told, and no event, is lost to a restart.
   */
  async stop(): Promise<void> {
    const services = this.services.splice(0);
    await Promise.all(
      services.map(async (s) => {
        try {
          await s.stop();
        } catch (e) {
          this.#logger.warn({ service: s.name, err: (e as Error).message }, "service did not stop cleanly");
        }
      }),
    );
    await this.#puller?.stop();
    await this.#published?.close();
    await this.#ha?.close();
    await this.retention.close();
    await this.recorder.close();
    await this.store.close();
  }
}

/**
 * How long a stopping server lets transfers under way (HTTP downloads, TFTP
 * transfers, NBD requests) finish before it cuts them: well inside the 30 s
 * a service manager waits (packaging/bootfleet.service, TimeoutStopSec).
 */
export const STOP_GRACE_MS = 5000;

/** Resolves when `done()` is true, checked every 50 ms, or after `ms`. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** One warning line when the soft limit on open files is too low for a fleet (open-file-limit.ts). */
function warnOnFewOpenFiles(logger: Logger): void {
  let limits: string;
  try {
    limits = readFileSync("/proc/self/limits", "utf8");
  } catch {
    return; // not Linux, or no /proc
  }
  const soft = softOpenFileLimit(limits);
  const needed = openFilesNeeded(soft);
  if (needed !== null)
    logger.warn(
      { soft_limit: soft, needed, machines: FLEET_MACHINES },
      `open files: the soft limit is ${soft}; ${FLEET_MACHINES} machines booting at once need about ${needed} (raise it: LimitNOFILE= in the systemd unit, ulimit -n in a shell)`,
    );
}

export function openStore(config: FleetConfig): Store {
  return openBackend({
    driver: config.store.driver,
    url: config.store.url,
    data_dir: config.server.data_dir,
  });
}

function localIpv4Addresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a?.family === "IPv4")
    .map((a) => a!.address);
}

/** The admin page: src/web beside the sources (tsx) or the build. */
function webRoot(): string | undefined {
  for (const rel of ["../web", "../../../src/web"]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(p, "index.html"))) return p;
  }
  return undefined;
}

function bindError(e: NodeJS.ErrnoException, what: string, proto: string, port: number): Error {
  const hint =
    e.code === "EACCES"
      ? `ports below 1024 need root (or CAP_NET_BIND_SERVICE); run as root, or set services.${what}.port`
      : e.code === "EADDRINUSE"
        ? `another program holds ${proto}/${port} (ss -lunp / ss -ltnp shows which); stop it, or set services.${what}.port`
        : `check services.${what} in the config`;
  return Object.assign(new Error(`${what}: cannot listen on ${proto}/${port}: ${e.message}`), { hint });
}

function bindUdp(address: string, port: number, what: string): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: "udp4" });
    s.once("error", (e) => {
      s.close();
      reject(bindError(e, what, "udp", port));
    });
    s.bind({ address, port }, () => {
      s.removeAllListeners("error");
      s.on("error", () => {});
      resolve(s);
    });
  });
}

function listenTcp(host: string, port: number, what: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (e) => reject(bindError(e, what, "tcp", port)));
    server.listen({ host, port }, () => resolve(server));
  });
}

/** Where TFTP transfers run, for the "tftp listening" line. */
function transferWorkersText(workers: ReturnType<typeof tftpWorkers>): string {
  if (workers === undefined) return "transfers in the main thread";
  if (workers.native === null) return `${workers.count} transfer workers on node:dgram`;
  const polling =
    workers.busyPollUs === 0 ? "no busy polling" : `busy polling up to ${workers.busyPollUs} us`;
  return `${workers.count} transfer workers on native I/O, ${polling}`;
}

/**
 * `services.tftp.workers` and `io` as the TFTP service wants them: undefined
 * = transfers in its own thread. io "native" without the addon is an error;
 * "auto" falls back to node:dgram with one log line saying how to build it.
 */
function tftpWorkers(
  tftp: FleetConfig["services"]["tftp"],
  localAddress: string,
  logger: Logger,
): { count: number; localAddress: string; native: NativeUdp | null; busyPollUs: number } | undefined {
  const count = tftp.workers === "auto" ? Math.min(4, Math.max(1, availableParallelism())) : tftp.workers;
  if (count === 0) return undefined;
  if (tftp.io === "node") return { count, localAddress, native: null, busyPollUs: 0 };
  const { udp, reason } = loadNativeUdp();
  if (udp === null && tftp.io === "native")
    throw Object.assign(new Error(`tftp: services.tftp.io is native, but ${reason}`), {
      hint: "build it (npm run build:native needs a C compiler, make and python3), or set services.tftp.io: auto",
    });
  if (udp === null)
    logger.info({ reason }, "tftp: transfers use node:dgram (the native I/O is not available)");
  return { count, localAddress, native: udp, busyPollUs: udp === null ? 0 : tftp.busy_poll_us };
}
