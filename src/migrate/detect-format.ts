/**
 * Which kind of file an import input is: by what it says, with its name
 * (dhcpd.conf, lts.conf, ltsp.conf, dnsmasq.conf, pxelinux.cfg/...) to
 * decide when the lines do not. Names mislead: LTSP installs its dnsmasq
 * settings as /etc/dnsmasq.d/ltsp.conf. `--format` overrides both.
 */
import { basename, dirname } from "node:path";

export const IMPORT_FORMATS = ["dhcpd", "lts", "ltsp", "dnsmasq", "pxelinux"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** How detectFormat decided, for messages that say which format was assumed. */
export type FormatEvidence = "content" | "name";

export function detectFormat(file: string, text: string): ImportFormat | null {
  return detectFormatWithEvidence(file, text)?.format ?? null;
}

export function detectFormatWithEvidence(
  file: string,
  text: string,
): { readonly format: ImportFormat; readonly by: FormatEvidence } | null {
  const byName = formatByName(file);
  const scores = contentScores(text);
  const byContent = bestOf(scores);
  if (byContent && byName !== byContent && !sameFamily(byName, byContent)) {
    // The lines win over the name only when they clearly say another format.
    const named = byName ? scores[byName] : 0;
    if (!byName || (scores[byContent] >= 3 && scores[byContent] >= 2 * named + 3))
      return { format: byContent, by: "content" };
  }
  if (byName) return { format: byName, by: "name" };
  return byContent ? { format: byContent, by: "content" } : null;
}

/** lts.conf and ltsp.conf read alike; their names tell them apart. */
function sameFamily(a: ImportFormat | null, b: ImportFormat): boolean {
  return (a === "lts" || a === "ltsp") && (b === "lts" || b === "ltsp");
}

function formatByName(file: string): ImportFormat | null {
  const name = basename(file).toLowerCase();
  const dir = basename(dirname(file)).toLowerCase();
  if (dir === "dnsmasq.d") return "dnsmasq";
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
  return null;
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
function contentScores(text: string): Record<ImportFormat, number> {
  const score: Record<ImportFormat, number> = { dhcpd: 0, lts: 0, ltsp: 0, dnsmasq: 0, pxelinux: 0 };
  for (const raw of text.split("\n")) {
    const l = raw.trim();
    if (l === "" || l.startsWith("#")) continue;
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
  return score;
}

function bestOf(score: Record<ImportFormat, number>): ImportFormat | null {
  const best = (Object.entries(score) as [ImportFormat, number][]).sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : null;
}

/** A line up to its '#' comment, without the blanks before it. */
function withoutComment(line: string): string {
  const hash = line.indexOf("#");
  return (hash < 0 ? line : line.slice(0, hash)).trimEnd();
}
