/**
 * Dotted-quad IPv4 text <-> unsigned 32-bit number, shared by the codecs.
 * Numbers are unsigned (0..2^32-1) so they compare and subtract plainly.
 */

/** "198.18.10.5" -> 3323070981; null when not a strict dotted quad (1 to 3 digits, 0..255, four parts). */
export function ipv4ToNumber(text: string): number | null {
  // Hand-rolled: this runs several times per DHCP packet.
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return null;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return null;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0) return null;
  return n * 256 + part;
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
