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

/** Statements that start most dhcpd.conf lines. */
const DHCPD_START =
  /^(host|subnet|shared-network|group|option|next-server|filename|default-lease-time|max-lease-time|authoritative|not\s+authoritative|ddns-update-style|allow|deny|range|hardware|fixed-address)\b/i;

/** dnsmasq's long options, written without their leading "--". */
const DNSMASQ_START =
  /^(dhcp-[a-z-]+|pxe-service|pxe-prompt|enable-tftp|tftp-root|interface|listen-address|domain|port|bind-interfaces|no-resolv|server|address|log-dhcp|conf-dir|conf-file)(=|\s*$)/;

const PXELINUX_START =
  /^(default|label|kernel|linux|append|initrd|ipappend|sysappend|timeout|prompt|ontimeout|menu|ui|localboot|say|display|implicit|totaltimeout)\b/i;

/**
 * Scores each format by its lines. Every test is anchored at the start of
 * the line or looks at its last character: a pattern like /;\s*(#.*)?$/
 * tried at every ';' of a long line backtracks quadratically.
 */
function detectByContent(text: string): ImportFormat | null {
  const score: Record<ImportFormat, number> = { dhcpd: 0, lts: 0, ltsp: 0, dnsmasq: 0, pxelinux: 0 };
  let lines = 0;
  for (const raw of text.split("\n")) {
    const l = raw.trim();
    if (l === "" || l.startsWith("#")) continue;
    lines++;
    const code = withoutComment(l);
    const end = code[code.length - 1];
    if (DHCPD_START.test(l) && (end === ";" || end === "{")) score.dhcpd += 2;
    if (end === ";" || l.endsWith("{") || l.endsWith("}")) score.dhcpd += 1;
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
    if (DNSMASQ_START.test(l)) score.dnsmasq += 3;
    if (PXELINUX_START.test(l)) score.pxelinux += 2;
  }
  if (lines === 0) return null;
  const best = (Object.entries(score) as [ImportFormat, number][]).sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : null;
}

/** A line up to its '#' comment, without the blanks before it. */
function withoutComment(line: string): string {
  const hash = line.indexOf("#");
  return (hash < 0 ? line : line.slice(0, hash)).trimEnd();
}
