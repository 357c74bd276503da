/**
 * The one schema of the config file: shapes, types and defaults. The
 * checks across values (addresses inside networks, duplicate MACs, images
 * that exist) are the loader's later steps (check-config.ts); both kinds of
 * problem become located errors. Keys are the YAML keys the README's config
 * reference lists.
 *
 * Every default lives here. Code that runs without a config (a service
 * started by a test or a bench, a build run from the command line) takes
 * the same value from the constants below, so the two cannot drift apart.
 */
import { z } from "zod";

/** `services.tftp.max_transfers`: transfers running at once before further RRQs wait for a slot. */
export const DEFAULT_MAX_TRANSFERS = 512;
/**
 * `services.tftp.max_transfers_per_client`: transfers one address runs at
 * once. A PXE client fetches one file at a time (UEFI firmware at most two:
 * a size probe, then the file); the limit keeps one address that never
 * acknowledges from taking every slot of `max_transfers`.
 */
export const DEFAULT_MAX_TRANSFERS_PER_CLIENT = 8;
/** `services.tftp.busy_poll_us`: microseconds a native TFTP worker polls before it sleeps. */
export const DEFAULT_BUSY_POLL_US = 200;
/** `services.nbd.port`: the port IANA assigned to NBD. */
export const DEFAULT_NBD_PORT = 10809;
/** `services.nbd.max_connections`: NBD connections at once, every client together. */
export const DEFAULT_NBD_MAX_CONNECTIONS = 1024;
/**
 * `services.nbd.max_connections_per_client`: NBD connections one address
 * holds at once. A booted client uses one (nbdcopy and qemu-img up to four),
 * a client reconnecting after a reboot holds its old one until keepalive
 * ends it.
 */
export const DEFAULT_NBD_MAX_CONNECTIONS_PER_CLIENT = 16;
/**
 * `services.nbd.cow_hold_seconds`: how long a running machine's
 * copy-on-write layer waits for its reconnect after its connection ended
 * (a server restart or upgrade takes seconds; a server down over lunch,
 * hours).
 */
export const DEFAULT_NBD_COW_HOLD_SECONDS = 4 * 3600;
/** `services.nfs.port`: the port IANA assigned to NFS. */
export const DEFAULT_NFS_PORT = 2049;
/** `services.nfs.mount_port`: the port IANA assigned to mountd (Linux's rpc.mountd uses it when asked for a fixed one). */
export const DEFAULT_NFS_MOUNT_PORT = 20048;
/** `services.nfs.portmap_port`: where every NFS client asks first (RFC 1833). */
export const DEFAULT_PORTMAP_PORT = 111;
/** `images.keep`: versions of each image kept on disk. */
export const DEFAULT_IMAGES_KEEP = 3;
/** `services.http.request_timeout`: seconds a request's headers and body may take to arrive. */
export const DEFAULT_HTTP_REQUEST_TIMEOUT_S = 30;
/** `services.http.idle_timeout`: seconds a connection may pass with nothing sent or received. */
export const DEFAULT_HTTP_IDLE_TIMEOUT_S = 60;
/** `events.keep_days`: days boot events are kept in the store. */
export const DEFAULT_EVENTS_KEEP_DAYS = 30;
/** `ha.failover_after`: seconds a peer's heartbeat may be old before its clients are taken over (Kea's max-response-delay, 10 s here). */
export const DEFAULT_HA_FAILOVER_AFTER_S = 10;
/** `ha.heartbeat`: seconds between this server's heartbeats in the store (Kea's heartbeat-delay). */
export const DEFAULT_HA_HEARTBEAT_S = 1;
/** The iPXE binaries served over TFTP and HTTP: where Debian's ipxe package installs them. Not a config key. */
export const DEFAULT_IPXE_DIR = "/usr/lib/ipxe";
/**
 * `services.api.read`: who may read the API. "open" (anyone who reaches the
 * HTTP port reads what is not secret) keeps the page working on a first
 * start without a token; the README says when to choose "token".
 */
export const DEFAULT_API_READ = "open";

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
/** `x` or `[x, y]` -> array. */
const stringList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));
const port = z.number().int().min(0).max(65535);

/** `secret: true` keeps a value from the read API and from any address but the machine's own; false unmarks one. */
const secret = z.boolean().optional();

/** `KEY: value`, or `KEY: { value, secret }`. */
const settingEntry = z.union([scalar, z.strictObject({ value: scalar, secret })]);

const fileEntry = z.union([
  z.string(),
  z.strictObject({
    content: z.string().optional(),
    source: z.string().optional(),
    mode: z.union([z.string(), z.number()]).optional(),
    secret,
  }),
]);

const dhcpOptions = z.strictObject({
  routers: stringList.optional(),
  dns: stringList.optional(),
  domain: z.string().optional(),
  lease_time: z.number().int().positive().optional(),
  next_server: z.string().optional(),
  filename: z.string().optional(),
  root_path: z.string().optional(),
  ntp: stringList.optional(),
  options: z.record(z.string(), scalar).optional(),
});

const menu = z.strictObject({
  images: stringList.optional(),
  timeout: z.number().int().min(0).optional(),
  local: z.boolean().optional(),
  shell: z.boolean().optional(),
});

const nbdLayer = z.strictObject({ cow: z.boolean().optional(), cow_keep: z.boolean().optional() });
/**
 * Where a client's root lives: served over NBD (the default), fetched into
 * RAM at boot, its tree over NFS mounted by the client hook, or mounted by
 * a kernel with NFS root built in (`nfs-kernel`: root=/dev/nfs, no initramfs).
 */
const rootMode = z.enum(["nbd", "ram", "nfs", "nfs-kernel"]);

/** What defaults, networks, groups, hosts and addresses may all set. */
export const layerShape = {
  image: z.string().optional(),
  boot_unknown: z.boolean().optional(),
  loader: z.enum(["ipxe", "pxelinux", "grub", "shim"]).optional(),
  kernel_args: z.string().optional(),
  console: z.string().optional(),
  menu: menu.optional(),
  settings: z.record(z.string(), settingEntry).optional(),
  files: z.record(z.string(), fileEntry).optional(),
  dhcp: dhcpOptions.optional(),
  nbd: nbdLayer.optional(),
  root: rootMode.optional(),
  servers: stringList.optional(),
};

const layer = z.strictObject(layerShape);

const network = z.strictObject({
  ...layerShape,
  subnet: z.string(),
  pool: stringList.optional(),
  interface: z.string().optional(),
  max_leases: z.number().int().positive().optional(),
  // The usual place to write them for a network; the same as dhcp.routers etc.
  routers: stringList.optional(),
  dns: stringList.optional(),
  domain: z.string().optional(),
});

const match = z.strictObject({
  hostname: stringList.optional(),
  mac: stringList.optional(),
  ip: stringList.optional(),
  hosts: stringList.optional(),
  arch: z.array(z.number().int().min(0).max(0xffff)).optional(),
});

const group = z.strictObject({ ...layerShape, match: match.optional() });

const host = z.strictObject({
  ...layerShape,
  mac: z.string().optional(),
  ip: z.string().optional(),
  groups: stringList.optional(),
});

const image = z.strictObject({
  version: scalar.optional(),
  kernel_args: z.string().optional(),
  description: z.string().optional(),
  nbd: nbdLayer.optional(),
  root: rootMode.optional(),
});

const enabled = { enabled: z.boolean().default(true) };

/**
 * What a server can do: the services it starts, and `build` (its image
 * versions are published in a shared store for serving servers to pull).
 */
export const SERVER_ROLES = ["dhcp", "tftp", "http", "nbd", "nfs", "syslog", "build"] as const;
export type ServerRole = (typeof SERVER_ROLES)[number];

export const configSchema = z.strictObject({
  server: z.strictObject({
    address: z.string(),
    interfaces: stringList.default([]),
    data_dir: z.string().default("./var"),
    /**
     * Which services this server runs, and whether it builds and publishes
     * images for its peers (docs/ha.md); default: all of them.
     */
    roles: z.array(z.enum(SERVER_ROLES)).default([...SERVER_ROLES]),
  }),
  services: z
    .strictObject({
      dhcp: z
        .strictObject({
          mode: z.enum(["full", "proxy", "off"]).default("proxy"),
          port: port.default(67),
          proxy_port: port.default(4011),
          lease_time: z.number().int().positive().default(3600),
          /**
           * Percent of its lease time during which a client asking again
           * gets its running lease unchanged (the time it has left), with
           * nothing written (dhcpd's dhcp-cache-threshold); 0 = every
           * REQUEST writes a new lease.
           */
          lease_cache_threshold: z.number().int().min(0).max(100).default(25),
          authoritative: z.boolean().default(false),
        })
        .prefault({}),
      tftp: z
        .strictObject({
          ...enabled,
          port: port.default(69),
          /** Relative to `server.data_dir`. */
          root: z.string().default("tftp"),
          case_insensitive: z.boolean().default(false),
          max_transfers: z.number().int().positive().default(DEFAULT_MAX_TRANSFERS),
          max_transfers_per_client: z.number().int().positive().default(DEFAULT_MAX_TRANSFERS_PER_CLIENT),
          /** Transfer worker threads; "auto" = one per core (at most 4), 0 = in the service's thread. */
          workers: z.union([z.literal("auto"), z.number().int().min(0).max(64)]).default("auto"),
          /**
           * How the workers do their I/O: "native" (their own epoll loop on
           * native/bootfleet_udp), "node" (libuv and node:dgram), "auto" =
           * native when it is built.
           */
          io: z.enum(["auto", "native", "node"]).default("auto"),
          /**
           * Microseconds a native worker polls before it sleeps while
           * transfers run (adapts down to 0 for clients that answer slower);
           * 0 = always sleep.
           */
          busy_poll_us: z.number().int().min(0).max(1000).default(DEFAULT_BUSY_POLL_US),
        })
        .prefault({}),
      http: z
        .strictObject({
          ...enabled,
          port: port.default(8080),
          bind: z.string().default("0.0.0.0"),
          /** A stalled upload is answered 408 and closed after this many seconds. */
          request_timeout: z.number().int().min(1).max(3600).default(DEFAULT_HTTP_REQUEST_TIMEOUT_S),
          /**
           * A connection with nothing sent or received this many seconds is
           * closed: a client that stopped reading a download or the event
           * stream, or stopped sending a body.
           */
          idle_timeout: z.number().int().min(1).max(3600).default(DEFAULT_HTTP_IDLE_TIMEOUT_S),
        })
        .prefault({}),
      nbd: z
        .strictObject({
          ...enabled,
          port: port.default(DEFAULT_NBD_PORT),
          bind: z.string().default("0.0.0.0"),
          max_connections: z.number().int().positive().default(DEFAULT_NBD_MAX_CONNECTIONS),
          max_connections_per_client: z
            .number()
            .int()
            .positive()
            .default(DEFAULT_NBD_MAX_CONNECTIONS_PER_CLIENT),
          /** 0 = a machine's layer is removed as soon as its connection ends. */
          cow_hold_seconds: z
            .number()
            .int()
            .min(0)
            .max(30 * 86400)
            .default(DEFAULT_NBD_COW_HOLD_SECONDS),
        })
        .prefault({}),
      nfs: z
        .strictObject({
          // Off unless asked: it answers port 111, which a host's own rpcbind may hold.
          enabled: z.boolean().default(false),
          port: port.default(DEFAULT_NFS_PORT),
          mount_port: port.default(DEFAULT_NFS_MOUNT_PORT),
          portmap_port: port.default(DEFAULT_PORTMAP_PORT),
          bind: z.string().default("0.0.0.0"),
        })
        .prefault({}),
      syslog: z
        .strictObject({
          ...enabled,
          port: port.default(514),
          bind: z.string().default("0.0.0.0"),
          per_machine: z.number().int().positive().default(10000),
          total: z.number().int().positive().default(1000000),
        })
        .prefault({}),
      api: z
        .strictObject({
          token: z.string().min(16).optional(),
          read: z.enum(["open", "token"]).default(DEFAULT_API_READ),
        })
        .prefault({}),
      /**
       * IPv6 router advertisements that say "no router here" (router
       * lifetime 0), so iPXE stops waiting ~15 s for a router at every
       * boot. Default: on where bootfleet answers DHCP (full or proxy);
       * turn it off on a segment that has a real IPv6 router.
       */
      ra: z.strictObject({ enabled: z.boolean().optional() }).prefault({}),
    })
    .prefault({})
    .transform((services) => ({
      ...services,
      ra: { enabled: services.ra.enabled ?? services.dhcp.mode !== "off" },
    })),
  events: z
    .strictObject({
      /** Boot events older than this many days are deleted (checked hourly). */
      keep_days: z.number().int().min(1).max(36500).default(DEFAULT_EVENTS_KEEP_DAYS),
    })
    .prefault({}),
  store: z
    .strictObject({ driver: z.enum(["sqlite", "postgres"]).default("sqlite"), url: z.string().optional() })
    .prefault({}),
  /** Several servers on one PostgreSQL store (docs/ha.md); absent: this server alone. */
  ha: z
    .strictObject({
      mode: z.enum(["load-balancing", "hot-standby"]),
      this_server: z.string().min(1),
      /** Every server, this one included; the first is the primary (hot-standby). */
      peers: z.array(z.string().min(1)).min(2),
      failover_after: z.number().positive().max(3600).default(DEFAULT_HA_FAILOVER_AFTER_S),
      heartbeat: z.number().positive().max(600).default(DEFAULT_HA_HEARTBEAT_S),
    })
    .optional(),
  /** image name -> spec; the key `keep` is the number of versions kept. */
  images: z.record(z.string(), z.union([z.number().int(), z.null(), image])).default({}),
  networks: z.array(network).default([]),
  defaults: layer.default({}),
  groups: z.record(z.string(), z.union([group, z.null()])).default({}),
  hosts: z.record(z.string(), z.union([host, z.null()])).default({}),
  addresses: z.record(z.string(), z.union([layer, z.null()])).default({}),
  layers: z.string().optional(),
});

export type RawConfig = z.output<typeof configSchema>;
export type RawLayer = z.output<typeof layer>;

/** Every key name the schema knows, for "did you mean". */
export const knownKeys: readonly string[] = [
  ...new Set([
    ...Object.keys(layerShape),
    ...Object.keys(dhcpOptions.shape),
    ...Object.keys(menu.shape),
    ...Object.keys(network.shape),
    ...Object.keys(match.shape),
    ...Object.keys(host.shape),
    ...Object.keys(image.shape),
    ...Object.keys(configSchema.shape),
    "address",
    "interfaces",
    "data_dir",
    "roles",
    "dhcp",
    "tftp",
    "http",
    "nbd",
    "nfs",
    "syslog",
    "api",
    "ra",
    "mode",
    "port",
    "proxy_port",
    "mount_port",
    "portmap_port",
    "authoritative",
    "enabled",
    "root",
    "case_insensitive",
    "max_transfers",
    "max_transfers_per_client",
    "max_connections",
    "max_connections_per_client",
    "workers",
    "io",
    "busy_poll_us",
    "bind",
    "per_machine",
    "total",
    "request_timeout",
    "idle_timeout",
    "keep_days",
    "this_server",
    "peers",
    "failover_after",
    "heartbeat",
    "token",
    "driver",
    "url",
    "content",
    "source",
    "cow",
    "cow_keep",
    "value",
    "secret",
    "read",
    "cow_hold_seconds",
  ]),
];
