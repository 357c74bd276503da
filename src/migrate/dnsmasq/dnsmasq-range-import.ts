/**
 * `dhcp-range=FIRST[,LAST][,NETMASK][,LEASE]` with its `proxy` and `static`
 * forms: the network the range is in, with a pool unless dnsmasq only
 * answers there (proxy: another DHCP server hands out addresses; static:
 * only dhcp-host addresses). dnsmasq takes the netmask from the interface
 * when none is written; the import cannot see it, so it assumes a /24 and
 * says so.
 */
import { formatIpv4, netmaskPrefix, parseIpv4 } from "../../config/net-address.js";
import type { ConfigDraft } from "../config-draft.js";
import { type DnsmasqDirective, directiveLine, valueFields } from "./dnsmasq-directive.js";
import type { DnsmasqImportReport } from "./dnsmasq-import-report.js";
import type { DnsmasqTags } from "./dnsmasq-tags.js";

export class DnsmasqRangeImport {
  readonly #file: string;
  readonly #draft: ConfigDraft;
  readonly #report: DnsmasqImportReport;
  readonly #tags: DnsmasqTags;
  /** The first range of each kind: addresses handed out, or proxy DHCP beside another server. */
  readonly #first: { full?: DnsmasqDirective; proxy?: DnsmasqDirective } = {};

  constructor(file: string, draft: ConfigDraft, report: DnsmasqImportReport, tags: DnsmasqTags) {
    this.#file = file;
    this.#draft = draft;
    this.#report = report;
    this.#tags = tags;
  }

  range(d: DnsmasqDirective): void {
    const report = this.#report;
    const fields = valueFields(d);
    const setTag = d.fields.find((f) => f.text.startsWith("set:"))?.text.slice(4);
    const start = fields[0];
    if (!start) {
      report.error(d.at, "dhcp-range has no addresses", "write it as dhcp-range=10.0.0.100,10.0.0.150,12h");
      return;
    }
    const first = parseIpv4(start.text);
    if (first === null) {
      if (start.text.includes(":")) {
        report.note(d, "not mapped: bootfleet serves IPv4");
        return;
      }
      report.error(
        start.at,
        `dhcp-range: '${start.text}' is not an IPv4 address`,
        "write it as dhcp-range=FIRST,LAST[,NETMASK][,LEASE]",
      );
      return;
    }
    const rest = fields.slice(1);
    const badAddress = rest.find((f) => /^\d+(\.\d+){1,}$/.test(f.text) && parseIpv4(f.text) === null);
    if (badAddress) {
      report.error(
        badAddress.at,
        `dhcp-range: '${badAddress.text}' is not an IPv4 address`,
        "write it as dhcp-range=FIRST,LAST[,NETMASK][,LEASE]",
      );
      return;
    }
    const proxy = rest.some((f) => f.text === "proxy");
    const isStatic = rest.some((f) => f.text === "static");
    // dnsmasq serves each range in its own mode; bootfleet runs one DHCP
    // mode (services.dhcp.mode) on every network, so a file with both would
    // leave one network unserved, or answered by two servers.
    const other = proxy ? this.#first.full : this.#first.proxy;
    if (other) {
      report.error(
        d.at,
        proxy
          ? `dhcp-range proxy: this file also hands out addresses (${other.raw}, line ${other.at.line}); bootfleet runs one DHCP mode, full or proxy, for all its networks`
          : `dhcp-range: this file also runs proxy DHCP (${other.raw}, line ${other.at.line}); bootfleet runs one DHCP mode, full or proxy, for all its networks`,
        "import the networks of one mode (keep the other ranges out of the file), or run one bootfleet per mode",
      );
      return;
    }
    if (proxy) this.#first.proxy ??= d;
    else this.#first.full ??= d;
    const endField = !proxy && !isStatic && rest[0] && parseIpv4(rest[0].text) !== null ? rest[0] : undefined;
    const afterEnd = rest.filter((f) => f !== endField && f.text !== "proxy" && f.text !== "static");
    const maskField = afterEnd.find((f) => parseIpv4(f.text) !== null);
    const leaseField = afterEnd.find((f) => /^(\d+[smhdw]?|infinite)$/.test(f.text));
    let prefix = 24;
    let assumed = true;
    if (maskField) {
      const p = netmaskPrefix(maskField.text);
      if (p === null) {
        report.error(maskField.at, `dhcp-range: '${maskField.text}' is not a netmask`, "e.g. 255.255.255.0");
        return;
      }
      prefix = p;
      assumed = false;
    }
    const last = endField ? parseIpv4(endField.text)! : first;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const cidr = `${formatIpv4((first & mask) >>> 0)}/${prefix}`;
    const net = this.#draft.network(cidr, d.at);
    net.header.push(...d.comments, directiveLine(this.#file, d));
    if (assumed)
      net.header.push(
        `dnsmasq takes the netmask from the interface; ${cidr} (a /24) is assumed: correct it if the network is larger`,
      );
    if (setTag) this.#tags.set(setTag, { kind: "network", subnet: cidr });
    if (proxy) {
      this.#draft.setService("dhcp", "mode", "proxy", {
        inline: `dhcp-range=${start.text},proxy: another DHCP server hands out addresses`,
      });
    } else if (!isStatic) {
      if (endField && (last & mask) >>> 0 !== (first & mask) >>> 0) {
        report.error(
          endField.at,
          `dhcp-range: ${endField.text} is not in the same network as ${start.text}`,
          "a range lies inside one network",
        );
        return;
      }
      net.pools.push({ first: Math.min(first, last), last: Math.max(first, last), at: d.at, comments: [] });
      if (this.#draft.services.dhcp.mode === undefined) this.#draft.setService("dhcp", "mode", "full");
    }
    if (leaseField && leaseField.text !== "infinite") {
      const seconds = leaseSeconds(leaseField.text);
      net.set(["dhcp", "lease_time"], seconds, { inline: `dhcp-range lease ${leaseField.text}` });
    }
  }
}

/** dnsmasq's lease time: a number with an optional unit (s, m, h, d, w). */
function leaseSeconds(t: string): number {
  const n = Number.parseInt(t, 10);
  const unit = t.replace(/^\d+/, "");
  return n * ({ "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[unit] ?? 1);
}
