/**
 * Typed readers and writers for option payloads (RFC 2132 §2's value
 * types: addresses, lists of addresses, 8/16/32-bit integers, NVT text).
 * Readers return null for a payload of the wrong shape instead of throwing:
 * a bad optional option is ignored, not a reason to drop the packet.
 */
import { ipv4ToNumber, readIpv4 } from "../ipv4-address.js";
import { DhcpCodecError } from "./dhcp-codec-error.js";

export function readIp(value: Buffer | undefined): string | null {
  return value && value.length === 4 ? readIpv4(value, 0) : null;
}

export function readIpList(value: Buffer | undefined): string[] | null {
  if (!value || value.length === 0 || value.length % 4 !== 0) return null;
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 4) out.push(readIpv4(value, i));
  return out;
}

export function readUint8(value: Buffer | undefined): number | null {
  return value && value.length === 1 ? value[0]! : null;
}

export function readUint16(value: Buffer | undefined): number | null {
  return value && value.length === 2 ? value.readUInt16BE(0) : null;
}

export function readUint32(value: Buffer | undefined): number | null {
  return value && value.length === 4 ? value.readUInt32BE(0) : null;
}

/** Text options (RFC 2132 §2: NVT ASCII); a trailing NUL, which some clients add, is dropped. */
export function readText(value: Buffer | undefined): string | null {
  if (!value) return null;
  let end = value.length;
  while (end > 0 && value[end - 1] === 0) end--;
  return value.toString("latin1", 0, end);
}

export function ipOption(...ips: readonly string[]): Buffer {
  const buf = Buffer.alloc(ips.length * 4);
  ips.forEach((ip, i) => {
    const n = ipv4ToNumber(ip);
    if (n === null)
      throw new DhcpCodecError("bad-option-value", `not an IPv4 address: ${JSON.stringify(ip)}`);
    buf.writeUInt32BE(n, i * 4);
  });
  return buf;
}

export function uint8Option(n: number): Buffer {
  return Buffer.from([n & 0xff]);
}

export function uint16Option(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

export function uint32Option(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function textOption(text: string): Buffer {
  return Buffer.from(text, "latin1");
}
