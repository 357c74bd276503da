/**
 * Which kind of file an import input is: by its name first (dhcpd.conf,
 * lts.conf, ltsp.conf, dnsmasq.conf, pxelinux.cfg/...), then by what it
 * says. `--format` overrides both.
 */
import { basename, dirname } from "node:path";

export const IMPORT_FORMATS = ["dhcpd", "lts", "ltsp", "dnsmasq", "pxelinux"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export function detectFormat(file: string, text: string): ImportFormat | null {
  const name = basename(file).toLowerCase();
  const dir = basename(dirname(file)).toLowerCase();
  if (name.includes("dhcpd")) return "dhcpd";
  if (name.includes("dnsmasq")) return "dnsmasq";
  if (name.includes("ltsp.conf")) return "ltsp";
  if (name.includes("lts.conf") || /(^|[-_.])lts([-_.]|$)/.test(name)) return "lts";
  if (
    name.includes("pxelinux") ||
    dir === "pxelinux.cfg" ||
    name.includes("syslinux") ||
    name.includes("isolinux")
  )
    return "pxelinux";
  return detectByContent(text);
}

function detectByContent(text: string): ImportFormat | null {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (lines.length === 0) return null;
  const score: Record<ImportFormat, number> = { dhcpd: 0, lts: 0, ltsp: 0, dnsmasq: 0, pxelinux: 0 };
  for (const l of lines) {
    if (
      /^(host|subnet|shared-network|group|option|next-server|filename|default-lease-time|max-lease-time|authoritative|not\s+authoritative|ddns-update-style|allow|deny|range|hardware|fixed-address)\b.*[;{]\s*(#.*)?$/i.test(
        l,
      )
    )
      score.dhcpd += 2;
    if (/;\s*(#.*)?$/.test(l) || /[{}]\s*$/.test(l)) score.dhcpd += 1;
    if (/^\[(server|clients|common)\]$/i.test(l)) score.ltsp += 5;
    if (/^\[default\]$/i.test(l)) score.lts += 5;
    if (/^\[[^\]]+\]$/.test(l)) {
      score.lts += 1;
      score.ltsp += 1;
    }
    if (/^INCLUDE\s*=/.test(l)) score.ltsp += 3;
    if (/^LIKE\s*=/.test(l)) score.lts += 3;
    if (/^[A-Z][A-Z0-9_]*\s*=/.test(l)) {
      score.lts += 1;
      score.ltsp += 1;
    }
    if (
      /^(dhcp-[a-z-]+|pxe-service|pxe-prompt|enable-tftp|tftp-root|interface|listen-address|domain|port|bind-interfaces|no-resolv|server|address|log-dhcp|conf-dir|conf-file)(=|\s*$)/.test(
        l,
      )
    )
      score.dnsmasq += 3;
    if (
      /^(default|label|kernel|linux|append|initrd|ipappend|sysappend|timeout|prompt|ontimeout|menu|ui|localboot|say|display|implicit|totaltimeout)\b/i.test(
        l,
      )
    )
      score.pxelinux += 2;
  }
  const best = (Object.entries(score) as [ImportFormat, number][]).sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : null;
}
