/**
 * The fleet config after validation: what every other part reads. Field
 * names are the YAML keys (snake_case), because they are the contract an
 * administrator writes and `bootfleet explain` prints. Every object here is
 * frozen at load (see load-config.ts).
 */
import type { ServerRole } from "./config-schema.js";

/** Where a value was written: file, 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export type DhcpMode = "full" | "proxy" | "off";

/** An IPv4 range, both ends included, as 32-bit unsigned numbers and text. */
export interface AddressRange {
  readonly start: string;
  readonly end: string;
  readonly first: number;
  readonly last: number;
}

export interface Cidr {
  readonly text: string; // "198.18.0.0/24"
  readonly network: number; // address as uint32
  readonly prefix: number;
  readonly mask: number; // uint32
}

/** A file laid into the client's root by the layer initrd. */
export interface LayerFile {
  /** Contents (UTF-8 text from YAML, or read from a layers/ tree). */
  readonly content: Buffer;
  /** Unix mode bits, e.g. 0o644; 0o755 for executables from a tree. */
  readonly mode: number;
  /** When it came from a layers/ tree: the file on disk. */
  readonly sourcePath?: string | undefined;
  /** `secret: true | false` as the config wrote it; absent: secret when others may not read it (mode). */
  readonly secret?: boolean | undefined;
}

/** `loader:` values: which first stages a machine is handed (boot-planner.ts says how). */
export type LoaderName = "ipxe" | "pxelinux" | "grub" | "shim";

/** What any layer (defaults, network, group, host, address) may set. */
/**
 * Where a client's root lives: over NBD from the server, fetched into its
 * RAM at boot, or its tree over NFS (mounted by the client hook, or by the
 * kernel itself for `nfs-kernel`).
 */
export type RootMode = "nbd" | "ram" | "nfs" | "nfs-kernel";

export interface LayerSpec {
  readonly image?: string | undefined;
  readonly boot_unknown?: boolean | undefined;
  /** Boot loader chain: ipxe (default), pxelinux, grub, shim (shim -> GRUB, for Secure Boot). */
  readonly loader?: LoaderName | undefined;
  /** Extra kernel command line, appended after bootfleet's own. */
  readonly kernel_args?: string | undefined;
  readonly console?: string | undefined;
  /** Menu: images offered, seconds before the default boots (0 = no menu). */
  readonly menu?:
    | {
        readonly images?: readonly string[];
        readonly timeout?: number;
        readonly local?: boolean;
        readonly shell?: boolean;
      }
    | undefined;
  /** lts.conf-style free-form variables. */
  readonly settings?: Readonly<Record<string, string>> | undefined;
  /** Settings this layer marks `secret: true` or `secret: false` (`KEY: { value, secret }`). */
  readonly secret_settings?: Readonly<Record<string, boolean>> | undefined;
  /** path in the client's root -> file. */
  readonly files?: Readonly<Record<string, LayerFile>> | undefined;
  /** DHCP options handed to the machine (full mode; some also in proxy mode). */
  readonly dhcp?: DhcpLayerOptions | undefined;
  /** NBD: private copy-on-write layer per client. */
  readonly nbd?: { readonly cow?: boolean; readonly cow_keep?: boolean } | undefined;
  /**
   * Where the client's root lives: `nbd` (served by this server while the
   * client runs), `ram` (the image fetched into RAM at boot, checked
   * against its manifest: the client needs no server once it is up) or
   * `nfs` (the version's tree from services.nfs, mounted read-only and hard)
   * or `nfs-kernel` (the same tree mounted by a kernel with NFS root built
   * in, `root=/dev/nfs nfsroot=`: no initramfs, so no layers).
   */
  readonly root?: RootMode | undefined;
  /**
   * Every server holding the machine's image version, in the order the
   * client tries them for its NBD root and the hook's HTTP fetches
   * (kernel command line bootfleet.servers=).
   */
  readonly servers?: readonly string[] | undefined;
  /** Where each key of this layer was written: "image", "settings.XKBLAYOUT", "files./etc/motd", "dhcp.routers". */
  readonly at_keys?: Readonly<Record<string, SourceLocation>> | undefined;
}

export interface DhcpLayerOptions {
  readonly routers?: readonly string[] | undefined;
  readonly dns?: readonly string[] | undefined;
  readonly domain?: string | undefined;
  readonly lease_time?: number | undefined; // seconds
  readonly next_server?: string | undefined;
  /** Boot file override (dhcpd's `filename`, as imported configs write it); normally the planner chooses. */
  readonly filename?: string | undefined;
  readonly root_path?: string | undefined;
  readonly ntp?: readonly string[] | undefined;
  /** Custom options by code: { 128: "text" } or hex "0x..."; e.g. 128/129, which Etherboot ROMs read. */
  readonly options?: Readonly<Record<string, string>> | undefined;
}

export interface Network extends LayerSpec {
  readonly subnet: Cidr;
  readonly pool?: readonly AddressRange[] | undefined;
  /** Interface this network is served on (when the server has several). */
  readonly interface?: string | undefined;
  /** Cap on leases handed out in this network (lease-exhaustion guard). */
  readonly max_leases?: number | undefined;
  readonly at: SourceLocation;
}

export interface GroupMatch {
  readonly hostname?: readonly string[] | undefined; // globs
  readonly mac?: readonly string[] | undefined; // globs or OUI prefixes, lower case
  readonly ip?: readonly Cidr[] | undefined;
  /** Explicit members: host names. */
  readonly hosts?: readonly string[] | undefined;
  /**
   * PXE client architectures (DHCP option 93, RFC 4578 §2.1): the group
   * holds only for a request carrying one of them, and, when the group also
   * names hostnames, MACs, addresses or hosts, only for a machine that
   * matches one of those too. This is how a per-architecture boot file
   * (dhcpd's `if option arch = 00:07`, dnsmasq's `tag:efi64`) is written.
   */
  readonly arch?: readonly number[] | undefined;
}

export interface Group extends LayerSpec {
  readonly name: string;
  readonly match: GroupMatch;
  readonly at: SourceLocation;
}

export interface Host extends LayerSpec {
  readonly name: string; // the hostname
  readonly mac?: string | undefined; // normalised aa:bb:cc:dd:ee:ff
  readonly ip?: string | undefined;
  readonly groups?: readonly string[] | undefined;
  readonly at: SourceLocation;
}

/** Per-address layer (the diskless scripts' IP layer): `addresses: { 198.18.0.14: {...} }`. */
export interface AddressLayer extends LayerSpec {
  readonly ip: string;
  readonly at: SourceLocation;
}

export interface ImageSpec {
  readonly name: string;
  /** Pinned version; absent = the image store's current version. */
  readonly version?: string | undefined;
  readonly kernel_args?: string | undefined;
  readonly description?: string | undefined;
  readonly nbd?: { readonly cow?: boolean; readonly cow_keep?: boolean } | undefined;
  /** The image's default for `root:`, under every layer's. */
  readonly root?: RootMode | undefined;
  readonly at: SourceLocation;
}

export interface ServicesConfig {
  readonly dhcp: {
    readonly mode: DhcpMode;
    readonly port: number; // 67; 1067 for a second server beside the site's, for ROMs built to ask there
    readonly proxy_port: number; // 4011
    readonly lease_time: number; // seconds
    /** Percent of the lease time within which a client asking again gets its running lease unchanged; 0 = off. */
    readonly lease_cache_threshold: number;
    readonly authoritative: boolean;
  };
  readonly tftp: {
    readonly enabled: boolean;
    readonly port: number;
    /** Served root; default <data_dir>/tftp. */
    readonly root: string;
    readonly case_insensitive: boolean;
    readonly max_transfers: number;
    /** Transfers one client address runs at once; its further RRQs wait for a slot. */
    readonly max_transfers_per_client?: number;
    /** Transfer worker threads: "auto" (one per core, at most 4) or a count; 0 = none. */
    readonly workers: "auto" | number;
    /** Workers' I/O: "native" (epoll loop on native/bootfleet_udp), "node" (node:dgram), "auto" (native when built). */
    readonly io: "auto" | "native" | "node";
    /** Most microseconds a native worker polls before sleeping while transfers run; 0 = never. */
    readonly busy_poll_us: number;
  };
  readonly http: {
    readonly enabled: boolean;
    readonly port: number;
    readonly bind: string;
    /** Seconds a request's headers and body may take; absent: DEFAULT_HTTP_REQUEST_TIMEOUT_S. */
    readonly request_timeout?: number | undefined;
    /** Seconds a connection may be silent both ways; absent: DEFAULT_HTTP_IDLE_TIMEOUT_S. */
    readonly idle_timeout?: number | undefined;
  };
  readonly nbd: {
    readonly enabled: boolean;
    readonly port: number;
    readonly bind: string;
    /** Connections at once, every client together; further ones are closed at accept. */
    readonly max_connections?: number;
    /** Connections one client address holds at once. */
    readonly max_connections_per_client?: number;
    /** How long a running machine's copy-on-write layer waits for its reconnect; 0 = not at all. */
    readonly cow_hold_seconds: number;
  };
  /** The read-only NFS server; absent (a config built in code) = off. */
  readonly nfs?: {
    readonly enabled: boolean;
    readonly port: number;
    readonly mount_port: number;
    readonly portmap_port: number;
    readonly bind: string;
  };
  readonly syslog: {
    readonly enabled: boolean;
    readonly port: number;
    readonly bind: string;
    readonly per_machine: number;
    readonly total: number;
  };
  readonly api: {
    /** Bearer token for writes; or env BOOTFLEET_API_TOKEN. Absent: write API off. */
    readonly token?: string | undefined;
    /**
     * Reads: "open" (anyone reads what is not secret) or "token" (every read
     * needs the token). Absent (a config built in code): DEFAULT_API_READ.
     */
    readonly read?: "open" | "token" | undefined;
  };
  /** IPv6 router advertisements with router lifetime 0 on the served interfaces (services/ra). */
  readonly ra: { readonly enabled: boolean };
}

/** `ha:`, modelled on Kea's High Availability (docs/ha.md). */
export interface HaConfig {
  /** load-balancing: each server answers its half of the clients (RFC 3074 hash); hot-standby: the first live peer answers all. */
  readonly mode: "load-balancing" | "hot-standby";
  readonly this_server: string;
  /** Every server, this one included, in priority order. */
  readonly peers: readonly string[];
  /** Seconds a peer's heartbeat may be old before the survivors answer its clients. */
  readonly failover_after: number;
  /** Seconds between heartbeats. */
  readonly heartbeat: number;
}

export interface FleetConfig {
  /** Absolute path of the config file; relative paths in it are relative to its folder. */
  readonly file: string;
  readonly server: {
    readonly address: string;
    readonly interfaces: readonly string[];
    readonly data_dir: string; // absolute
    /** The services this server starts, and `build`: it publishes its image versions. */
    readonly roles: readonly ServerRole[];
  };
  readonly services: ServicesConfig;
  readonly store: { readonly driver: "sqlite" | "postgres"; readonly url?: string | undefined };
  /** Several servers sharing this fleet through the PostgreSQL store; absent: one server. */
  readonly ha?: HaConfig | undefined;
  /** Event retention; absent: DEFAULT_EVENTS_KEEP_DAYS. */
  readonly events?: { readonly keep_days: number } | undefined;
  readonly images: Readonly<Record<string, ImageSpec>>;
  readonly images_keep: number;
  readonly networks: readonly Network[];
  readonly defaults: LayerSpec & { readonly at: SourceLocation };
  /** In declared order: later groups win over earlier ones. */
  readonly groups: readonly Group[];
  readonly hosts: readonly Host[];
  readonly addresses: readonly AddressLayer[];
  /** Absolute path of the layers/ tree, when present. */
  readonly layers_dir?: string | undefined;
}

/** What is known about a machine when we resolve it. */
export interface MachineFacts {
  readonly mac: string; // normalised lower-case aa:bb:cc:dd:ee:ff
  readonly ip?: string | undefined;
  readonly hostname?: string | undefined;
  /** PXE client architecture (DHCP option 93, RFC 4578): 0 BIOS, 7/9 UEFI x64, 11 ARM64 UEFI, 16 x64 UEFI HTTP. */
  readonly arch?: number | undefined;
  readonly vendorClass?: string | undefined; // option 60
  readonly userClass?: string | undefined; // option 77
  /** iPXE is already running (option 77 "iPXE" or option 175 present). */
  readonly ipxe?: boolean | undefined;
  /** Relay agent address (giaddr), when relayed. */
  readonly relay?: string | undefined;
}

/** "api": set for one machine through the API (machine-overrides.ts), applied after every config layer. */
export type LayerKind =
  | "builtin"
  | "defaults"
  | "layers-tree"
  | "network"
  | "group"
  | "host"
  | "address"
  | "api";

export interface Origin {
  readonly layer: LayerKind;
  /** The layer's name: "defaults", "198.18.0.0/24", "lab3", "lab3-14", "198.18.0.14". */
  readonly name: string;
  readonly at?: SourceLocation | undefined;
}

export interface Valued<T> {
  readonly value: T;
  readonly origin: Origin;
  /**
   * Settings and files only: a secret, shown by the API only with the token
   * and put in the layer archive only for the machine's own address.
   */
  readonly secret?: true | undefined;
}

/** One machine's effective config, every value with where it came from. */
export interface ResolvedMachine {
  readonly facts: MachineFacts;
  readonly mac: string;
  readonly hostname?: string | undefined;
  /** Fixed address (host or reservation) or the address DHCP facts gave. */
  readonly ip?: string | undefined;
  readonly known: boolean; // declared as a host
  readonly network?: Network | undefined;
  readonly host?: Host | undefined;
  readonly groups: readonly string[];
  readonly image?: Valued<string> | undefined;
  readonly boot_unknown: Valued<boolean>;
  readonly loader: Valued<LoaderName>;
  readonly kernel_args: readonly Valued<string>[]; // every layer's, in order
  readonly console?: Valued<string> | undefined;
  readonly menu?: Valued<NonNullable<LayerSpec["menu"]>> | undefined;
  readonly settings: Readonly<Record<string, Valued<string>>>;
  readonly files: Readonly<Record<string, Valued<LayerFile>>>;
  readonly dhcp: {
    readonly [K in keyof DhcpLayerOptions]?: Valued<NonNullable<DhcpLayerOptions[K]>>;
  };
  readonly nbd: { readonly cow: Valued<boolean>; readonly cow_keep: Valued<boolean> };
  readonly root: Valued<RootMode>;
  /** The most specific layer's `servers:` list, when any layer has one. */
  readonly servers?: Valued<readonly string[]> | undefined;
}

export interface Resolver {
  /** Effective config for a machine; works for unknown machines too (defaults + network + groups). */
  resolve(facts: MachineFacts): ResolvedMachine;
  /** Look up a declared host by MAC, hostname or IP. */
  findHost(query: string): Host | undefined;
}
