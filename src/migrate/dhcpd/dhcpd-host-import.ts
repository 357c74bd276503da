/**
 * `host NAME { ... }` blocks and what only a host may say (hardware,
 * fixed-address). A host is named after its `option host-name` when it has
 * one (what dhcpd hands the machine), else after its declaration; names
 * that are no hostname (RFC 1123) are cleaned, and a second `host x` in one
 * file (which dhcpd refuses: "already exists") gets a name of its own. A
 * host declared in another imported file under the same name is the same
 * machine: the two are merged.
 */
import { describeBadMac, normalizeMac, parseIpv4 } from "../../config/net-address.js";
import { type ConfigDraft, HostDraft } from "../config-draft.js";
import { toHostname } from "../to-hostname.js";
import type { DhcpdImportReport } from "./dhcpd-import-report.js";
import type { DhcpdScope, DhcpdWalk } from "./dhcpd-scope.js";
import { type DhcpdStatement, keywordOf, pointAfter, valueComments, valueItems } from "./dhcpd-statement.js";

export class DhcpdHostImport {
  readonly #file: string;
  readonly #draft: ConfigDraft;
  readonly #report: DhcpdImportReport;
  /** Host names this file declared, lower case. */
  readonly #declared = new Set<string>();

  constructor(file: string, draft: ConfigDraft, report: DhcpdImportReport) {
    this.#file = file;
    this.#draft = draft;
    this.#report = report;
  }

  /** How many hosts this file declared. */
  get declaredCount(): number {
    return this.#declared.size;
  }

  host(st: DhcpdStatement, scope: DhcpdScope, walk: DhcpdWalk): void {
    const report = this.#report;
    const nameTok = st.head[1];
    if (!nameTok) {
      report.error(pointAfter(st), "host without a name", "write it as `host NAME { ... }`");
      report.note(scope, st, "not mapped: host without a name");
      return;
    }
    if (scope.kind === "host") {
      report.note(scope, st, "not mapped: a host inside a host");
      return;
    }
    const declName = nameTok.text;
    const hostNameSt = st.block?.find(
      (s) => keywordOf(s) === "option" && s.head[1]?.text.toLowerCase() === "host-name",
    );
    const given = hostNameSt?.head[2]?.text;
    let name = given ?? declName;
    const header = [
      ...st.comments,
      `${this.#file}:${st.at.line}: host ${declName}${st.trailing !== undefined ? ` #${st.trailing}` : ""}`,
    ];
    if (given && given !== declName)
      header.push(`named after its option host-name "${given}" (dhcpd's declaration name: ${declName})`);
    if (hostNameSt)
      header.push(
        ...hostNameSt.comments,
        ...(hostNameSt.trailing !== undefined ? [hostNameSt.trailing] : []),
      );
    const clean = toHostname(name);
    if (clean !== name) {
      report.warn(
        nameTok.at,
        `'${name}' is not a valid hostname; imported as '${clean}'`,
        "letters, digits and '-' (RFC 1123)",
      );
      header.push(`renamed from '${name}': hostnames are letters, digits and '-' (RFC 1123)`);
      name = clean;
    }
    if (this.#declared.has(name.toLowerCase())) {
      const free = this.#draft.freeHostName(name);
      report.warn(
        nameTok.at,
        `host ${name} is declared twice; the second is imported as ${free}`,
        'dhcpd itself refuses this file ("host ... already exists"): give each host its own name',
      );
      header.push(
        `second 'host ${name}' in ${this.#file} (dhcpd refuses it: "already exists"), renamed to ${free}`,
      );
      name = free;
    }
    const host = new HostDraft(name, st.at);
    host.header.push(...header);
    walk(st.block ?? [], { ...scope, kind: "host", layer: host, notes: host.notes, host });
    report.keepComments(st.closingComments, host.notes, `at the end of host ${declName}`);
    this.#declared.add(name.toLowerCase());
    if (host.mac) {
      const other = this.#draft.findHostByMac(host.mac);
      if (other) {
        report.warn(
          st.at,
          `host ${name} has the MAC ${host.mac} of host ${other.name}, declared before it; dhcpd gives that MAC host ${other.name}'s entry`,
          `give ${name} its own MAC; it is imported without one`,
        );
        host.notes.push({
          why: `not mapped: hardware ethernet ${host.mac} is already host ${other.name}'s, which dhcpd matches first; a bootfleet MAC belongs to one host`,
        });
        host.mac = undefined;
      }
    }
    const existing = this.#draft.findHost(name);
    if (existing) existing.absorb(host);
    else this.#draft.addHost(host);
    for (const g of scope.groups) g.match.add("hosts", name);
  }

  /** `hardware ethernet MAC;` */
  hardware(st: DhcpdStatement, scope: DhcpdScope): void {
    const report = this.#report;
    if (scope.kind !== "host" || !scope.host) {
      report.note(scope, st, "not mapped: hardware belongs in a host");
      return;
    }
    const type = st.head[1];
    const addr = st.head[2];
    if (!type || !addr) {
      report.error(
        pointAfter(st),
        "hardware needs a type and an address",
        "write it as `hardware ethernet aa:bb:cc:dd:ee:ff;`",
      );
      report.note(scope, st, "not mapped: malformed");
      return;
    }
    if (type.text.toLowerCase() !== "ethernet") {
      report.note(
        scope,
        st,
        `not mapped: bootfleet boots Ethernet machines; '${type.text}' hardware is not supported`,
      );
      return;
    }
    const text = st.head
      .slice(2)
      .map((t) => t.text)
      .join("");
    const mac = normalizeMac(text);
    if (!mac) {
      report.error(
        addr.at,
        `'${text}' is not a MAC address: ${describeBadMac(text)}`,
        "write it as six hex octets, e.g. 00:c0:4f:ad:5c:bc",
      );
      report.note(scope, st, "not mapped: malformed MAC address");
      return;
    }
    scope.host.mac = mac;
    const c = valueComments(st);
    scope.host.macComments.push(...c.before, ...(c.inline !== undefined ? [c.inline] : []));
  }

  /** `fixed-address ADDRESS;`: a bootfleet host has one address, and it must be one (not a DNS name). */
  fixedAddress(st: DhcpdStatement, scope: DhcpdScope): void {
    const report = this.#report;
    if (scope.kind !== "host" || !scope.host) {
      report.note(scope, st, "not mapped: fixed-address belongs in a host");
      return;
    }
    const items = valueItems(st.head.slice(1));
    if (items.length === 0) {
      report.error(pointAfter(st), "fixed-address has no address", "write it as `fixed-address 10.0.0.12;`");
      report.note(scope, st, "not mapped: it has no value");
      return;
    }
    const first = items[0]!;
    if (parseIpv4(first) === null) {
      report.warn(
        st.head[1]!.at,
        `fixed-address '${first}' is a DNS name; dhcpd looks it up when it starts`,
        `add ip: with the address of ${first} to the host`,
      );
      report.note(scope, st, `not mapped: '${first}' is a DNS name; write the host's address as ip:`);
      return;
    }
    scope.host.ip = first;
    const c = valueComments(st);
    scope.host.ipComments.push(...c.before, ...(c.inline !== undefined ? [c.inline] : []));
    if (items.length > 1) report.note(scope, st, `only ${first} is mapped: a bootfleet host has one address`);
  }
}
