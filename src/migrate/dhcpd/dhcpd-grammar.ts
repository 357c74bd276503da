/**
 * Which dhcpd.conf declarations may nest in which (dhcpd.conf(5),
 * "Reference: declarations"), and which words start a statement. The
 * parser uses both to say where a `}` or `;` is missing instead of
 * misreading the rest of the file; what a statement means is the
 * importer's business (dhcpd-keyword-table.ts).
 */

export type DhcpdBlockKind =
  | "top"
  | "host"
  | "subnet"
  | "shared-network"
  | "group"
  | "pool"
  | "if"
  | "class"
  | "other";

/** Words that start a statement: seeing one at the start of a new line inside an unfinished statement means a `;` is missing. */
const STATEMENT_KEYWORDS: ReadonlySet<string> = new Set([
  "option",
  "host",
  "subnet",
  "subnet6",
  "group",
  "shared-network",
  "range",
  "range6",
  "hardware",
  "fixed-address",
  "filename",
  "next-server",
  "server-name",
  "server-identifier",
  "default-lease-time",
  "dhcp-cache-threshold",
  "max-lease-time",
  "min-lease-time",
  "authoritative",
  "allow",
  "deny",
  "ignore",
  "ddns-update-style",
  "ddns-updates",
  "ddns-domainname",
  "use-host-decl-names",
  "boot-unknown-clients",
  "get-lease-hostnames",
  "class",
  "subclass",
  "pool",
  "include",
  "log-facility",
  "one-lease-per-client",
  "ping-check",
  "update-static-leases",
  "always-broadcast",
  "failover",
  "dynamic-bootp-lease-length",
  "dynamic-bootp-lease-cutoff",
  "local-port",
  "local-address",
  "lease-file-name",
  "pid-file-name",
  "omapi-port",
]);

const DECLARATIONS: ReadonlySet<string> = new Set([
  "host",
  "subnet",
  "shared-network",
  "group",
  "pool",
  "class",
  "subclass",
  "failover",
]);

/** Declarations that may appear directly inside each kind of block. */
const ALLOWED_DECLARATIONS: Readonly<Record<DhcpdBlockKind, ReadonlySet<string>>> = {
  top: new Set(["host", "subnet", "shared-network", "group", "pool", "class", "subclass", "failover"]),
  group: new Set(["host", "subnet", "shared-network", "group", "pool", "class", "subclass"]),
  // dhcpd reads a class declaration in any scope it is written in (Cobbler's
  // stock dhcp.template declares its "pxeclients" class inside the subnet).
  "shared-network": new Set(["host", "subnet", "group", "pool", "class", "subclass"]),
  subnet: new Set(["host", "group", "pool", "class", "subclass"]),
  pool: new Set([]),
  host: new Set([]),
  if: new Set([]),
  class: new Set([]),
  other: new Set(["host", "subnet", "shared-network", "group", "pool", "class", "subclass", "failover"]),
};

export const DHCPD_GRAMMAR = {
  /** `keyword` (lower case) starts a statement of its own. */
  startsStatement(keyword: string): boolean {
    return STATEMENT_KEYWORDS.has(keyword);
  },
  /** `keyword` (lower case) is a declaration: a block with a place in the nesting rules. */
  isDeclaration(keyword: string): boolean {
    return DECLARATIONS.has(keyword);
  },
  /** A block of this kind may hold the declaration `keyword` directly. */
  mayHold(kind: DhcpdBlockKind, keyword: string): boolean {
    return ALLOWED_DECLARATIONS[kind].has(keyword);
  },
  /** The kind of block a statement opens, by its first word (lower case). */
  blockKind(keyword: string | undefined): DhcpdBlockKind {
    switch (keyword) {
      case "host":
      case "subnet":
      case "shared-network":
      case "group":
      case "pool":
      case "class":
        return keyword;
      case "subclass":
        return "class";
      case "if":
      case "elsif":
      case "else":
        return "if";
      default:
        return "other";
    }
  },
} as const;
