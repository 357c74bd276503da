/**
 * What dnsmasq directives and options become in bootfleet, as data: the
 * options that are layer keys of their own rather than dhcp.options
 * entries, the directives that only define tags, the DNS side of dnsmasq
 * (which bootfleet does not serve), and what a directive swallowed into
 * the comment of the line before looks like. The conversions are in the
 * dnsmasq-*-import.ts files.
 */

/** An option that is a layer key of its own: addresses (a list of IPv4) or text (comma-joined). */
export interface DnsmasqLayerOption {
  readonly key: readonly string[];
  readonly value: "addresses" | "text";
}

/** Options with a key of their own in a layer, by code (RFC 2132). */
const LAYER_OPTIONS: ReadonlyMap<number, DnsmasqLayerOption> = new Map([
  [3, { key: ["dhcp", "routers"], value: "addresses" }],
  [6, { key: ["dhcp", "dns"], value: "addresses" }],
  [42, { key: ["dhcp", "ntp"], value: "addresses" }],
  [15, { key: ["dhcp", "domain"], value: "text" }],
  [17, { key: ["dhcp", "root_path"], value: "text" }],
  [67, { key: ["dhcp", "filename"], value: "text" }],
]);

/** Directives that tell clients apart by tags (set:NAME); bootfleet tells boot clients apart itself. */
const TAG_DIRECTIVES: ReadonlySet<string> = new Set([
  "dhcp-userclass",
  "dhcp-vendorclass",
  "dhcp-match",
  "dhcp-mac",
  "tag-if",
]);

/** Directives with no bearing on booting: DNS and the like. */
const DNS_DIRECTIVES: ReadonlySet<string> = new Set([
  "port",
  "server",
  "address",
  "no-resolv",
  "no-hosts",
  "resolv-file",
  "domain-needed",
  "bogus-priv",
  "expand-hosts",
  "local",
  "cache-size",
  "addn-hosts",
  "cname",
  "mx-host",
  "srv-host",
  "txt-record",
  "ptr-record",
  "strict-order",
  "all-servers",
  "no-negcache",
  "dnssec",
  "trust-anchor",
]);

/** A boot-related directive with a value: in a comment, a line joined to the one before. */
const JOINED_LINE = /(^|\s)(dhcp-[a-z-]+|pxe-service|pxe-prompt|tftp-root|enable-tftp|interface|domain)=\S/;

export const DNSMASQ_DIRECTIVE_TABLE = {
  /** The layer key option `code` sets, when it has one. */
  layerOption(code: number): DnsmasqLayerOption | undefined {
    return LAYER_OPTIONS.get(code);
  },
  definesTags(name: string): boolean {
    return TAG_DIRECTIVES.has(name);
  },
  servesDns(name: string): boolean {
    return DNS_DIRECTIVES.has(name);
  },
  /** Where in `comment` a directive swallowed from another line starts, if one does. */
  joinedDirective(comment: string): number | undefined {
    const m = JOINED_LINE.exec(comment);
    return m ? m.index + m[1]!.length : undefined;
  },
} as const;
