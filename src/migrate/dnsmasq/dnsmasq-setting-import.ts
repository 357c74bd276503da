/**
 * dnsmasq directives that set one bootfleet setting or none: the TFTP
 * server (enable-tftp, tftp-root), where to listen (interface,
 * listen-address), the domain, dhcp-authoritative; and what is kept as a
 * comment with the reason: tag definitions (bootfleet tells boot clients
 * apart itself), included files, the DNS side of dnsmasq.
 */
import { parseIpv4 } from "../../config/net-address.js";
import { ADDRESS_RANK, type ConfigDraft } from "../config-draft.js";
import { DNSMASQ_DIRECTIVE_TABLE } from "./dnsmasq-directive-table.js";
import { type DnsmasqDirective, valueComments } from "./dnsmasq-directive.js";
import type { DnsmasqImportReport } from "./dnsmasq-import-report.js";
import { type DnsmasqTags, describeTagMeaning } from "./dnsmasq-tags.js";

export class DnsmasqSettingImport {
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

  enableTftp(d: DnsmasqDirective): void {
    this.#draft.setService("tftp", "enabled", true, valueComments(d));
    if (d.fields.length)
      this.#report.note(
        d,
        "the interface list is not mapped: bootfleet's TFTP listens where services.tftp says",
      );
  }

  tftpRoot(d: DnsmasqDirective): void {
    const root = d.fields[0]?.text;
    if (!root) {
      this.#report.error(d.at, "tftp-root has no folder", "write it as tftp-root=/srv/tftp");
      return;
    }
    this.#draft.setService("tftp", "root", root, valueComments(d));
  }

  interface(d: DnsmasqDirective): void {
    for (const f of d.fields) this.#draft.addInterface(f.text);
  }

  listenAddress(d: DnsmasqDirective): void {
    for (const f of d.fields)
      if (parseIpv4(f.text) !== null && f.text !== "127.0.0.1")
        this.#draft.proposeServerAddress(
          f.text,
          ADDRESS_RANK.listenAddress,
          `listen-address in ${this.#file}`,
          f.at,
        );
    this.#report.note(d, "mapped to server.address when it is not loopback");
  }

  domain(d: DnsmasqDirective): void {
    const v = d.fields[0]?.text;
    if (!v) {
      this.#report.error(d.at, "domain has no value", "write it as domain=example.org");
      return;
    }
    if (d.fields.length > 1) {
      this.#report.note(d, "not mapped: a domain for one range only; set dhcp.domain on that network");
      return;
    }
    this.#draft.defaults.set(["dhcp", "domain"], v, valueComments(d));
  }

  authoritative(d: DnsmasqDirective): void {
    this.#draft.setService("dhcp", "authoritative", true, valueComments(d));
  }

  leaseMax(d: DnsmasqDirective): void {
    this.#report.note(d, "not mapped: set max_leases on the network");
  }

  /** dhcp-userclass, dhcp-match, tag-if ...: what the tag means, when the import could tell. */
  tagDefinition(d: DnsmasqDirective): void {
    const set = d.fields.find((f) => f.text.startsWith("set:"))?.text.slice(4);
    const meaning = set ? this.#tags.get(set) : undefined;
    this.#report.note(
      d,
      meaning
        ? `read: tag ${set} means ${describeTagMeaning(meaning)}; bootfleet tells these clients apart itself`
        : "not mapped: bootfleet has no tags; groups match by hostname, MAC or address",
    );
  }

  /** conf-file, conf-dir: the included files are imported only when they are passed too. */
  include(d: DnsmasqDirective): void {
    this.#report.warn(d.at, `${d.name} is not followed`, "import those files too: bootfleet import FILE...");
    this.#report.note(d, "not followed: pass those files to `bootfleet import` as well");
  }

  /** Anything else: kept as a comment. */
  other(d: DnsmasqDirective): void {
    if (DNSMASQ_DIRECTIVE_TABLE.servesDns(d.name)) {
      this.#report.note(d, "not mapped: bootfleet serves no DNS");
      return;
    }
    this.#report.note(d, `not mapped: bootfleet has no equivalent of ${d.name}`);
  }
}
