/**
 * dnsmasq.conf (dnsmasq(8)) into the draft. The boot-related options map:
 *
 *   dhcp-range    -> networks (subnet, pool); `proxy` -> services.dhcp.mode: proxy
 *   dhcp-host     -> hosts (mac, ip, name)
 *   dhcp-boot     -> dhcp.filename, dhcp.next_server (tagged: the iPXE / BIOS branch, as for dhcpd)
 *   dhcp-option   -> dhcp.routers, dns, domain, root_path, ntp, options by code
 *   pxe-service   -> dhcp.filename for x86PC (the PXE client adds ".0")
 *   enable-tftp, tftp-root -> services.tftp
 *
 * Everything else is kept as a comment with the reason. This file reads
 * the directives (dnsmasq-conf-reader.ts), learns what each tag means
 * first (a dhcp-boot may name a tag defined further down), and hands each
 * directive to its importer by name.
 */
import type { ConfigDraft } from "../config-draft.js";
import type { ImportProblem } from "../import-problem.js";
import { DnsmasqBootImport } from "./dnsmasq-boot-import.js";
import { readDnsmasqConf } from "./dnsmasq-conf-reader.js";
import type { DnsmasqDirective } from "./dnsmasq-directive.js";
import { DNSMASQ_DIRECTIVE_TABLE } from "./dnsmasq-directive-table.js";
import { DnsmasqHostImport } from "./dnsmasq-host-import.js";
import { DnsmasqImportReport } from "./dnsmasq-import-report.js";
import { DnsmasqOptionImport } from "./dnsmasq-option-import.js";
import { DnsmasqRangeImport } from "./dnsmasq-range-import.js";
import { DnsmasqSettingImport } from "./dnsmasq-setting-import.js";
import { DnsmasqTags } from "./dnsmasq-tags.js";

type Importer = (d: DnsmasqDirective) => void;

export function importDnsmasqConf(
  text: string,
  file: string,
  draft: ConfigDraft,
  problems: ImportProblem[],
): void {
  const { directives, closingComments } = readDnsmasqConf(text, file);
  const report = new DnsmasqImportReport(draft, problems);
  const tags = new DnsmasqTags();
  for (const d of directives) tags.define(d);
  const ranges = new DnsmasqRangeImport(file, draft, report, tags);
  const hosts = new DnsmasqHostImport(file, draft, report, tags);
  const options = new DnsmasqOptionImport(draft, report, tags);
  const boots = new DnsmasqBootImport(file, draft, report, tags);
  const settings = new DnsmasqSettingImport(file, draft, report, tags);
  const importers = new Map<string, Importer>([
    ["dhcp-range", (d) => ranges.range(d)],
    ["dhcp-host", (d) => hosts.host(d)],
    ["dhcp-boot", (d) => boots.dhcpBoot(d)],
    ["dhcp-option", (d) => options.option(d)],
    ["dhcp-option-force", (d) => options.option(d)],
    ["pxe-service", (d) => boots.pxeService(d)],
    ["enable-tftp", (d) => settings.enableTftp(d)],
    ["tftp-root", (d) => settings.tftpRoot(d)],
    ["interface", (d) => settings.interface(d)],
    ["listen-address", (d) => settings.listenAddress(d)],
    ["domain", (d) => settings.domain(d)],
    ["dhcp-authoritative", (d) => settings.authoritative(d)],
    ["dhcp-lease-max", (d) => settings.leaseMax(d)],
    ["conf-file", (d) => settings.include(d)],
    ["conf-dir", (d) => settings.include(d)],
  ]);
  for (const d of directives) {
    warnJoinedLine(d, draft, report);
    const importer = importers.get(d.name);
    if (importer) importer(d);
    else if (DNSMASQ_DIRECTIVE_TABLE.definesTags(d.name)) settings.tagDefinition(d);
    else settings.other(d);
  }
  boots.resolveBoots();
  if (closingComments.length)
    draft.notes.push({
      source: closingComments.map((c) => `#${c}`).join("\n"),
      why: `comments at the end of ${file}, kept`,
    });
}

/** A comment that holds what looks like another directive: dnsmasq ignores it, and so does the import, but says so. */
function warnJoinedLine(d: DnsmasqDirective, draft: ConfigDraft, report: DnsmasqImportReport): void {
  if (d.trailing === undefined) return;
  const start = DNSMASQ_DIRECTIVE_TABLE.joinedDirective(d.trailing);
  if (start === undefined) return;
  report.warn(
    { ...d.at, column: d.raw.length + d.at.column + 1 },
    `the comment after ${d.name} holds '${d.trailing.slice(start).trim()}', which dnsmasq ignores (lines joined?)`,
    "if it is a setting, put it on its own line and import again",
  );
  draft.notes.push({
    at: d.at,
    source: `${d.raw} #${d.trailing}`,
    why: "a comment holding what looks like another dnsmasq line: dnsmasq ignores it, and so does this import; put it on its own line to use it",
  });
}
