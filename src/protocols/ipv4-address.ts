/**
 * Dotted-quad IPv4 text <-> unsigned 32-bit number, shared by the codecs.
 * Numbers are unsigned (0..2^32-1) so they compare and subtract plainly.
 */

/** "198.18.10.5" -> 3323071237; null when not a strict dotted quad. */
export function ipv4ToNumber(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

export function numberToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Four bytes at `offset` as dotted text (the caller has checked the length). */
export function readIpv4(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** Writes dotted text as four bytes; throws on text that is not an address. */
export function writeIpv4(buf: Buffer, offset: number, text: string): void {
  const n = ipv4ToNumber(text);
  if (n === null) throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  buf.writeUInt32BE(n, offset);
}
