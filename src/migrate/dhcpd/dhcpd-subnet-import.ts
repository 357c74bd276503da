/**
 * `subnet ADDRESS netmask MASK { ... }` and `shared-network NAME { ... }`:
 * each subnet becomes a bootfleet network; a shared-network's parameters go
 * to each of its subnets that does not set its own, since it sits between
 * global and subnet in dhcpd's scope order. What a malformed subnet or a
 * shared-network without subnets set is listed in a comment, not lost.
 */
import { formatIpv4, netmaskPrefix, parseIpv4 } from "../../config/net-address.js";
import { type ConfigDraft, LayerDraft } from "../config-draft.js";
import type { DhcpdImportReport } from "./dhcpd-import-report.js";
import type { DhcpdScope, DhcpdWalk, SharedNetwork } from "./dhcpd-scope.js";
import { type DhcpdStatement, headLine, pointAfter } from "./dhcpd-statement.js";

export class DhcpdSubnetImport {
  readonly #file: string;
  readonly #draft: ConfigDraft;
  readonly #report: DhcpdImportReport;

  constructor(file: string, draft: ConfigDraft, report: DhcpdImportReport) {
    this.#file = file;
    this.#draft = draft;
    this.#report = report;
  }

  subnet(st: DhcpdStatement, scope: DhcpdScope, walk: DhcpdWalk): void {
    const report = this.#report;
    const h = st.head;
    const addr = h[1];
    const netmaskKw = h[2];
    const mask = h[3];
    const ip = addr ? parseIpv4(addr.text) : null;
    const prefix = mask ? netmaskPrefix(mask.text) : null;
    if (!addr || ip === null || netmaskKw?.text.toLowerCase() !== "netmask" || !mask || prefix === null) {
      const where = !addr ? pointAfter(st) : ip === null ? addr.at : !mask ? pointAfter(st) : mask.at;
      const what =
        !addr || ip === null
          ? `subnet needs a network address${addr ? `, not '${addr.text}'` : ""}`
          : !mask || netmaskKw?.text.toLowerCase() !== "netmask"
            ? "subnet needs `netmask MASK` after its address"
            : `'${mask.text}' is not a netmask`;
      report.error(where, what, "write it as `subnet 10.0.0.0 netmask 255.255.255.0 { ... }`");
      // Still read what is inside (hosts, groups), so that all errors show at once.
      const detached = new LayerDraft();
      walk(st.block ?? [], {
        ...scope,
        kind: "subnet",
        layer: detached,
        notes: scope.notes,
        network: undefined,
      });
      scope.notes.push({
        at: st.at,
        source: headLine(st),
        why: `not mapped: malformed subnet; what it set is not imported${describeValues(detached)}`,
      });
      scope.notes.push(...detached.notes);
      return;
    }
    const network = ip & (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
    if (network >>> 0 !== ip)
      report.warn(
        addr.at,
        `subnet ${addr.text} has host bits set for netmask ${mask.text}`,
        `the network is ${formatIpv4(network >>> 0)}`,
      );
    const cidr = `${formatIpv4(network >>> 0)}/${prefix}`;
    const net = this.#draft.network(cidr, st.at);
    net.header.push(
      ...st.comments,
      `${this.#file}:${st.at.line}: subnet ${addr.text} netmask ${mask.text}${st.trailing !== undefined ? ` #${st.trailing}` : ""}`,
    );
    if (scope.shared) {
      scope.shared.networks.push(net);
    }
    if (scope.kind === "group")
      scope.notes.push({
        at: st.at,
        why: `subnet ${cidr} is declared inside this group; it became networks: ${cidr}, and the group's parameters apply to its hosts only`,
      });
    walk(st.block ?? [], { ...scope, kind: "subnet", layer: net, notes: net.notes, network: net });
    report.keepComments(st.closingComments, net.notes, `at the end of subnet ${cidr}`);
  }

  sharedNetwork(st: DhcpdStatement, scope: DhcpdScope, walk: DhcpdWalk): void {
    const name = st.head[1]?.text ?? "(unnamed)";
    const shared: SharedNetwork = { name, layer: new LayerDraft(), networks: [] };
    walk(st.block ?? [], {
      ...scope,
      kind: "shared-network",
      layer: shared.layer,
      notes: shared.layer.notes,
      shared,
    });
    const header = [
      ...st.comments,
      `${this.#file}:${st.at.line}: in shared-network ${name}${st.trailing !== undefined ? ` #${st.trailing}` : ""}`,
    ];
    if (shared.networks.length === 0) {
      scope.notes.push({
        at: st.at,
        source: headLine(st),
        why: `not mapped: shared-network ${name} holds no valid subnet, so what it set has no network to go to${describeValues(shared.layer)}`,
      });
      scope.notes.push(...shared.layer.notes);
      return;
    }
    // The shared-network's comments go with its first subnet only: copied to each of thousands of
    // subnets, a long comment would be written thousands of times.
    const first = shared.networks[0]!;
    for (const net of shared.networks) {
      if (net === first) net.header.unshift(...header);
      else
        net.header.unshift(
          `${this.#file}:${st.at.line}: in shared-network ${name}, with ${first.subnet} (its comments are there)`,
        );
      net.fillFrom(shared.layer, net === first);
    }
    shared.networks[0]!.notes.unshift(...shared.layer.notes);
    this.#report.keepComments(
      st.closingComments,
      shared.networks[0]!.notes,
      `at the end of shared-network ${name}`,
    );
  }
}

/** ": dhcp.domain = x, ..." for a layer whose values could not be placed. */
function describeValues(layer: LayerDraft): string {
  const out: string[] = [];
  const walk = (o: Record<string, unknown>, path: string[]) => {
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === "object" && !Array.isArray(v)) walk(v as Record<string, unknown>, [...path, k]);
      else out.push(`${[...path, k].join(".")} = ${Array.isArray(v) ? v.join(", ") : String(v)}`);
    }
  };
  walk(layer.values, []);
  return out.length ? `:\n${out.map((l) => `  ${l}`).join("\n")}` : "";
}
