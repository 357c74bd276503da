/**
 * Custom DHCP options from the config (`dhcp.options: { "128": "..." }`) as
 * option payloads. A value is text, or bytes written as "0x" + hex, or as
 * colon-separated hex pairs the way dhcpd.conf writes them (LTSP's
 * Etherboot setups: `option option-128 e4:45:74:68:00:00;`), so values copied
 * from an existing dhcpd.conf work unchanged.
 */

export class DhcpOptionError extends Error {
  override readonly name = "DhcpOptionError";
}

/** Codes 1..254: 0 is pad and 255 is end (RFC 2132 section 3.1, 3.2). */
export function parseOptionCode(code: string): number {
  if (!/^[0-9]{1,3}$/.test(code)) throw new DhcpOptionError(`DHCP option code "${code}" is not a number`);
  const n = Number(code);
  if (n < 1 || n > 254) throw new DhcpOptionError(`DHCP option code ${n} is outside 1..254`);
  return n;
}

export function encodeOptionValue(code: number, value: string): Buffer {
  let bytes: Buffer;
  if (/^0x([0-9a-fA-F]{2})+$/.test(value)) bytes = Buffer.from(value.slice(2), "hex");
  else if (/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})+$/.test(value))
    bytes = Buffer.from(value.replaceAll(":", ""), "hex");
  else bytes = Buffer.from(value, "utf8");
  // One option carries at most 255 bytes (RFC 2132 section 2); longer needs RFC 3396 splitting, which
  // the DHCP codec may do, but no PXE-era client reads such an option.
  if (bytes.length > 255)
    throw new DhcpOptionError(`DHCP option ${code} is ${bytes.length} bytes; at most 255`);
  return bytes;
}
