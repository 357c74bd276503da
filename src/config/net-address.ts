/**
 * IPv4 addresses, CIDRs, ranges, MACs and globs as the config writes them.
 * Pure; every parser returns null (or throws nothing) on bad text so that the
 * loader can turn it into a located error with a hint.
 */
import type { AddressRange, Cidr } from "./model.js";

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | null {
  const m = IPV4.exec(text.trim());
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // "010" is octal to inet_aton and decimal to others: refuse the ambiguity.
    if (part.length > 1 && part.startsWith("0")) return null;
    const v = Number(part);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n >>> 0;
}

/** A dotted netmask's prefix length (255.255.255.0 -> 24), or null when it is not an address or its ones are not contiguous. */
export function netmaskPrefix(text: string): number | null {
  const n = parseIpv4(text);
  if (n === null) return null;
  const inv = ~n >>> 0;
  if ((inv & (inv + 1)) !== 0) return null;
  return 32 - Math.log2(inv + 1);
}

/**
 * "::ffff:198.18.0.14" (an IPv4 peer seen on a dual-stack socket) ->
 * "198.18.0.14": leases, fixed addresses, events and logs use the plain form.
 */
export function plainIpv4(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseCidr(text: string): Cidr | null {
  const [addr, len, extra] = text.trim().split("/");
  if (extra !== undefined || addr === undefined || len === undefined || !/^\d{1,2}$/.test(len)) return null;
  const ip = parseIpv4(addr);
  const prefix = Number(len);
  if (ip === null || prefix > 32) return null;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (ip & mask) >>> 0;
  return { text: `${formatIpv4(network)}/${prefix}`, network, prefix, mask };
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return (ip & cidr.mask) >>> 0 === cidr.network;
}

export function broadcastOf(cidr: Cidr): number {
  return (cidr.network | (~cidr.mask >>> 0)) >>> 0;
}

/** "198.18.0.100-198.18.0.199" or "198.18.0.100 - 198.18.0.199". */
export function parseRange(text: string): AddressRange | null {
  const parts = text.split("-").map((s) => s.trim());
  if (parts.length !== 2) return null;
  const first = parseIpv4(parts[0]!);
  const last = parseIpv4(parts[1]!);
  if (first === null || last === null || last < first) return null;
  return { start: formatIpv4(first), end: formatIpv4(last), first, last };
}

const CANONICAL_MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const MAC_SEPARATED = /^([0-9a-f]{1,2})([:-])([0-9a-f]{1,2})(\2[0-9a-f]{1,2}){4}$/i;

/**
 * Accepts aa:bb:cc:dd:ee:ff, aa-bb-..., aabb.ccdd.eeff (Cisco) and bare
 * aabbccddeeff; single-digit octets as dhcpd writes them (0:c:29:...).
 * Returns lower-case colon form, or null.
 */
export function normalizeMac(text: string): string | null {
  // Already in the form returned (the DHCP service formats chaddr so, and
  // looks hosts up by it twice an exchange): no splitting and joining.
  if (CANONICAL_MAC.test(text)) return text;
  const t = text.trim().toLowerCase();
  let octets: string[];
  if (MAC_SEPARATED.test(t)) octets = t.split(/[:-]/);
  else if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/.test(t)) octets = t.replaceAll(".", "").match(/../g)!;
  else if (/^[0-9a-f]{12}$/.test(t)) octets = t.match(/../g)!;
  else return null;
  return octets.map((o) => o.padStart(2, "0")).join(":");
}

/** Why a MAC does not parse, for the error hint. */
export function describeBadMac(text: string): string {
  const octets = text.trim().split(/[:-]/);
  if (octets.length !== 6 && octets.length > 1) return `it has ${octets.length} octets; a MAC has 6`;
  const bad = octets.find((o) => !/^[0-9a-fA-F]{1,2}$/.test(o));
  if (bad !== undefined) return `'${bad}' is not a hex octet`;
  return "write it as aa:bb:cc:dd:ee:ff";
}

/**
 * Shell-style glob (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`) to an anchored RegExp.
 * Returns an error text for unbalanced brackets or empty classes.
 */
export function compileGlob(glob: string, caseInsensitive = false): RegExp | string {
  let re = "^";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close < 0) return `unclosed '[' at position ${i + 1}`;
      let body = glob.slice(i + 1, close);
      if (body.startsWith("!")) body = `^${body.slice(1)}`;
      if (body === "" || body === "^") return `empty character class at position ${i + 1}`;
      re += `[${body.replace(/\\/g, "\\\\")}]`;
      i = close;
    } else if (c === "]") return `unmatched ']' at position ${i + 1}`;
    else re += c.replace(/[.+^${}()|\\/]/g, "\\$&");
  }
  try {
    return new RegExp(`${re}$`, caseInsensitive ? "i" : "");
  } catch (e) {
    return (e as Error).message;
  }
}
