/**
 * `dhcp-host=[MAC][,ADDRESS][,NAME][,LEASE][,set:TAG]...`: a bootfleet host.
 * The fields are told apart by their form, as dnsmasq does. A dhcp-host
 * for a name or MAC another one already declared adds to that host; one
 * with no name gets a made-up one, since bootfleet hosts have names. Its
 * set: tags stand for the host from then on.
 */
import type { SourceLocation } from "../../config/model.js";
import { describeBadMac, normalizeMac, parseIpv4 } from "../../config/net-address.js";
import { type ConfigDraft, HostDraft } from "../config-draft.js";
import { toHostname } from "../to-hostname.js";
import { type DnsmasqDirective, directiveLine, isTagField } from "./dnsmasq-directive.js";
import type { DnsmasqImportReport } from "./dnsmasq-import-report.js";
import type { DnsmasqTags } from "./dnsmasq-tags.js";

export class DnsmasqHostImport {
  readonly #file: string;
  readonly #draft: ConfigDraft;
  readonly #report: DnsmasqImportReport;
  readonly #tags: DnsmasqTags;

  constructor(file: string, draft: ConfigDraft, report: DnsmasqImportReport, tags: DnsmasqTags) {
    this.#file = file;
    this.#draft = draft;
    this.#report = report;
    this.#tags = tags;
  }

  host(d: DnsmasqDirective): void {
    const report = this.#report;
    let mac: string | undefined;
    let ip: string | undefined;
    let name: string | undefined;
    let nameAt: SourceLocation | undefined;
    const tags: string[] = [];
    const extra: string[] = [];
    for (const f of d.fields) {
      const t = f.text;
      if (isTagField(t)) {
        if (t.startsWith("set:")) tags.push(t.slice(4));
        else extra.push(t);
        continue;
      }
      if (t.startsWith("id:") || t === "ignore" || t.startsWith("[")) {
        extra.push(t);
        continue;
      }
      if (/^(\d+[smhdw]?|infinite)$/.test(t)) {
        extra.push(t);
        continue;
      }
      if (/^([0-9a-fA-F*]{1,2}[:-]){2,}[0-9a-fA-F*]{1,2}$/.test(t) || /^\d+-([0-9a-fA-F]{2}:)+/.test(t)) {
        const hw = t.replace(/^1-/, "");
        const norm = normalizeMac(hw);
        if (!norm) {
          if (hw.includes("*")) {
            extra.push(t);
            continue;
          }
          report.error(
            f.at,
            `dhcp-host: '${t}' is not a MAC address: ${describeBadMac(hw)}`,
            "write it as aa:bb:cc:dd:ee:ff",
          );
          return;
        }
        if (mac) extra.push(t);
        else mac = norm;
        continue;
      }
      if (/^[0-9.]+$/.test(t)) {
        if (parseIpv4(t) === null) {
          report.error(f.at, `dhcp-host: '${t}' is not an IPv4 address`, "write it as 10.0.0.12");
          return;
        }
        ip = t;
        continue;
      }
      if (name === undefined) {
        name = t;
        nameAt = f.at;
      } else extra.push(t);
    }
    if (d.fields.some((f) => f.text === "ignore")) {
      report.note(
        d,
        "not mapped: dnsmasq ignores this machine; in bootfleet, leave it undeclared and set boot_unknown: false",
      );
      return;
    }
    if (!mac && !name) {
      report.note(d, "not mapped: a dhcp-host without a MAC or a name (by client id only)");
      return;
    }
    let hostName = name ?? (ip ? `host-${ip.replaceAll(".", "-")}` : `host-${mac!.replaceAll(":", "")}`);
    const clean = toHostname(hostName);
    if (clean !== hostName) {
      report.warn(
        nameAt ?? d.at,
        `'${hostName}' is not a valid hostname; imported as '${clean}'`,
        "letters, digits and '-' (RFC 1123)",
      );
      hostName = clean;
    }
    let host = this.#draft.findHost(hostName) ?? (mac ? this.#draft.findHostByMac(mac) : undefined);
    if (!host) {
      host = new HostDraft(this.#draft.freeHostName(hostName), d.at);
      this.#draft.addHost(host);
    }
    host.header.push(...d.comments, directiveLine(this.#file, d));
    if (!name)
      host.header.push(
        `dnsmasq names this machine what it asks to be called; bootfleet hosts have names: ${host.name} was made up`,
      );
    if (mac && !host.mac) {
      if (this.#draft.findHostByMac(mac))
        host.notes.push({ why: `not mapped: MAC ${mac} is another host's` });
      else host.mac = mac;
    }
    if (ip && !host.ip) host.ip = ip;
    if (extra.length)
      host.notes.push({ at: d.at, why: `not mapped from this dhcp-host: ${extra.join(", ")}` });
    for (const t of tags) this.#tags.set(t, { kind: "host", host });
  }
}
