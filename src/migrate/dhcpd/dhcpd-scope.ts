/**
 * Where a dhcpd.conf statement is written, and so where what it says goes.
 * dhcpd's scope order (global < shared-network < subnet < group < host) is
 * bootfleet's layer order (defaults < network < group < host), so a host
 * resolves to what dhcpd gave it: global -> defaults (and services.dhcp),
 * shared-network -> each of its subnets, subnet -> a network, group -> a
 * group whose members are its hosts, host -> a host.
 */
import type { ConfigDraft, GroupDraft, HostDraft, LayerDraft, NetworkDraft, Note } from "../config-draft.js";
import type { DhcpdStatement } from "./dhcpd-statement.js";

/** A shared-network's parameters, held until its subnets are known. */
export interface SharedNetwork {
  readonly name: string;
  readonly layer: LayerDraft;
  readonly networks: NetworkDraft[];
}

export interface DhcpdScope {
  readonly kind: "global" | "shared-network" | "subnet" | "group" | "host" | "pool";
  /** Where parameters written in this scope go. */
  readonly layer: LayerDraft;
  /** Where statements that do not map go. */
  readonly notes: Note[];
  /** The groups around this scope: a host declared here is a member of each. */
  readonly groups: readonly GroupDraft[];
  readonly network?: NetworkDraft | undefined;
  readonly shared?: SharedNetwork | undefined;
  readonly host?: HostDraft | undefined;
}

/** The file's top level: the draft's defaults. */
export function globalScope(draft: ConfigDraft): DhcpdScope {
  return { kind: "global", layer: draft.defaults, notes: draft.notes, groups: [] };
}

/** Imports each statement of a block in the scope it opens: how a block importer descends. */
export type DhcpdWalk = (statements: readonly DhcpdStatement[], scope: DhcpdScope) => void;
