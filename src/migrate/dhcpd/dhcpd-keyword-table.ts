/**
 * What dhcpd.conf statements and options become in bootfleet, as data: the
 * statements kept as comments and why, the options that are layer keys of
 * their own rather than dhcp.options entries, the names the client
 * architecture option goes by, and dhcpd's type names for declared options.
 * The code that applies them is in the dhcpd-*-import.ts files; a statement
 * with no entry here and no importer is kept as a comment.
 */
import type { DhcpOptionType } from "../dhcp-option-table.js";

/**
 * Why a statement or block is kept as a comment rather than mapped, by
 * keyword (lower case). A Map, since keywords come from the file: a plain
 * object would answer `constructor` with Object's constructor.
 */
const NOT_MAPPED: ReadonlyMap<string, string> = new Map(
  Object.entries({
    "ddns-update-style": "bootfleet does no dynamic DNS updates",
    "ddns-updates": "bootfleet does no dynamic DNS updates",
    "ddns-domainname": "bootfleet does no dynamic DNS updates",
    "ddns-hostname": "bootfleet does no dynamic DNS updates",
    "get-lease-hostnames": "bootfleet does not look up lease addresses in DNS",
    "max-lease-time":
      "bootfleet leases for services.dhcp.lease_time (or a layer's dhcp.lease_time) whatever a client asks",
    "min-lease-time":
      "bootfleet leases for services.dhcp.lease_time (or a layer's dhcp.lease_time) whatever a client asks",
    "log-facility": "bootfleet logs through its own logger (pino)",
    "one-lease-per-client": "bootfleet keeps one lease per MAC",
    "ping-check": "bootfleet does not ping an address before offering it",
    "update-static-leases": "bootfleet does no dynamic DNS updates",
    "lease-file-name": "bootfleet keeps leases in its store (services: store)",
    "pid-file-name": "bootfleet has no PID file",
    "local-port":
      "set services.dhcp.port (Etherboot ROMs built with DPORT=1067 ask on port 1067, beside the site's DHCP server)",
    "server-name": "bootfleet fills the sname field itself",
    failover: "bootfleet has no dhcpd failover protocol; see store: postgres for several servers",
    class: "bootfleet has no classes; groups match by hostname, MAC (OUI globs) or address",
    subclass: "bootfleet has no classes; groups match by hostname, MAC (OUI globs) or address",
    key: "bootfleet does no dynamic DNS updates",
    zone: "bootfleet does no dynamic DNS updates",
  }),
);

/** Statements bootfleet does without being told: kept as a comment that says so. */
const MAPPED_BY_DESIGN: ReadonlyMap<string, string> = new Map([
  [
    "use-host-decl-names",
    "bootfleet always hands a declared host its name (option 12); an `option host-name` wins",
  ],
]);

/** An option that is a layer key of its own: addresses (a list of IPv4) or text (comma-joined). */
export interface LayerOption {
  readonly key: readonly string[];
  readonly value: "addresses" | "text";
}

/** Options with a key of their own in a layer, by dhcpd name (dhcp-options(5)). */
const LAYER_OPTIONS: ReadonlyMap<string, LayerOption> = new Map([
  ["routers", { key: ["dhcp", "routers"], value: "addresses" }],
  ["domain-name-servers", { key: ["dhcp", "dns"], value: "addresses" }],
  ["ntp-servers", { key: ["dhcp", "ntp"], value: "addresses" }],
  ["domain-name", { key: ["dhcp", "domain"], value: "text" }],
  ["root-path", { key: ["dhcp", "root_path"], value: "text" }],
]);

/**
 * Names the client architecture option (93, RFC 4578 §2.1) goes by in
 * dhcpd.conf files; a file that declares it under another name adds that.
 */
const ARCH_OPTION_NAMES: readonly string[] = [
  "pxe-system-type",
  "client-architecture",
  "arch",
  "client-arch",
  "pxe-arch",
  "system-arch",
];

/** dhcpd's integer and array type names in `option NAME code N = TYPE;` (dhcp-options(5), "Defining new options"). */
const DECLARATION_TYPES: ReadonlyMap<string, DhcpOptionType> = new Map([
  ["unsigned integer 8", "u8"],
  ["unsigned integer 16", "u16"],
  ["unsigned integer 32", "u32"],
  ["signed integer 32", "i32"],
  ["integer 32", "i32"],
  ["array of ip-address", "ips"],
]);

export const DHCPD_KEYWORD_TABLE = {
  /** Why `keyword` is not mapped, when bootfleet has a reason of its own. */
  notMapped(keyword: string): string | undefined {
    return NOT_MAPPED.get(keyword);
  },
  /** Every keyword with an entry here, to tell a misspelt one. */
  keywords(): string[] {
    return [...NOT_MAPPED.keys(), ...MAPPED_BY_DESIGN.keys()];
  },
  /** What bootfleet already does for `keyword`, when it is built in. */
  mappedByDesign(keyword: string): string | undefined {
    return MAPPED_BY_DESIGN.get(keyword);
  },
  /** The layer key an option (dhcpd name, lower case) sets, when it has one. */
  layerOption(name: string): LayerOption | undefined {
    return LAYER_OPTIONS.get(name);
  },
  archOptionNames: ARCH_OPTION_NAMES,
  /** A declared option's type from dhcpd's integer and array type words, lower case. */
  declarationType(words: readonly string[]): DhcpOptionType | undefined {
    return DECLARATION_TYPES.get(words.join(" "));
  },
} as const;
