import { readIpv4 } from "../ipv4-address.js";
import { DhcpCodecError } from "./dhcp-codec-error.js";
import {
  type DhcpMessage,
  FILE_LENGTH,
  FILE_OFFSET,
  FIXED_HEADER_LENGTH,
  MAGIC_COOKIE,
  MAX_DHCP_LENGTH,
  MIN_DHCP_LENGTH,
  Opt,
  SNAME_LENGTH,
  SNAME_OFFSET,
} from "./dhcp-message.js";

/**
 * Parses one UDP payload into a DhcpMessage, or throws DhcpCodecError.
 * Length and magic cookie are checked first; every option length is checked
 * against what is left of its field before it is read.
 */
export function decodeDhcp(buf: Buffer): DhcpMessage {
  // RFC 2131 §2: 236 octets of fixed header, then the 4-octet cookie
  // (RFC 2131 §3). Anything shorter cannot be a DHCP message.
  if (buf.length < MIN_DHCP_LENGTH) {
    throw new DhcpCodecError(
      "truncated",
      `message is ${buf.length} bytes, shorter than the ${MIN_DHCP_LENGTH}-byte header and magic cookie`,
    );
  }
  if (buf.length > MAX_DHCP_LENGTH) {
    throw new DhcpCodecError("oversized", `message is ${buf.length} bytes, more than ${MAX_DHCP_LENGTH}`);
  }
  const op = buf[0]!;
  if (op !== 1 && op !== 2)
    throw new DhcpCodecError("bad-op", `op is ${op}, neither 1 (request) nor 2 (reply)`);
  const hlen = buf[2]!;
  if (hlen > 16) throw new DhcpCodecError("bad-hlen", `hlen is ${hlen}, more than the 16 bytes of chaddr`);
  const cookie = buf.readUInt32BE(FIXED_HEADER_LENGTH);
  if (cookie !== MAGIC_COOKIE) {
    throw new DhcpCodecError(
      "bad-cookie",
      `magic cookie is 0x${cookie.toString(16).padStart(8, "0")}, not 0x63825363 (RFC 2131 §3)`,
    );
  }

  const options = new Map<number, Buffer>();
  const overload = readOptionField(buf, MIN_DHCP_LENGTH, buf.length, "options", options, true);
  // RFC 2132 §9.3: 1 = `file` holds options, 2 = `sname`, 3 = both. RFC 3396
  // §5: read options, then file, then sname. Option 52 inside file/sname is
  // refused by readOptionField, so overload cannot loop.
  let sname = "";
  let file = "";
  if (overload & 1) readOptionField(buf, FILE_OFFSET, FILE_OFFSET + FILE_LENGTH, "file", options, false);
  else file = cString(buf, FILE_OFFSET, FILE_LENGTH);
  if (overload & 2) readOptionField(buf, SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH, "sname", options, false);
  else sname = cString(buf, SNAME_OFFSET, SNAME_LENGTH);

  let messageType: number | null = null;
  const mt = options.get(Opt.MESSAGE_TYPE);
  if (mt !== undefined) {
    // RFC 2132 §9.6: exactly one octet, 1..8.
    if (mt.length !== 1 || mt[0]! < 1 || mt[0]! > 8) {
      throw new DhcpCodecError(
        "bad-option-value",
        `option 53 (message type) is ${mt.toString("hex")}, not one octet 1..8`,
      );
    }
    messageType = mt[0]!;
  }

  return {
    op,
    htype: buf[1]!,
    hlen,
    hops: buf[3]!,
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: readIpv4(buf, 12),
    yiaddr: readIpv4(buf, 16),
    siaddr: readIpv4(buf, 20),
    giaddr: readIpv4(buf, 24),
    chaddr: Buffer.from(buf.subarray(28, 44)),
    sname,
    file,
    options,
    messageType,
  };
}

/**
 * Reads TLV options from buf[start, end) into `options`. Returns the value of
 * option 52 when `main` (the options field); elsewhere option 52 is an error.
 */
function readOptionField(
  buf: Buffer,
  start: number,
  end: number,
  field: string,
  options: Map<number, Buffer>,
  main: boolean,
): number {
  let overload = 0;
  let i = start;
  while (i < end) {
    const code = buf[i]!;
    if (code === Opt.PAD) {
      i++;
      continue;
    }
    if (code === Opt.END) return overload;
    if (i + 1 >= end) {
      throw new DhcpCodecError(
        "option-overrun",
        `option ${code} at offset ${i} of the ${field} field has no length byte`,
      );
    }
    const len = buf[i + 1]!;
    const valueStart = i + 2;
    if (valueStart + len > end) {
      throw new DhcpCodecError(
        "option-overrun",
        `option ${code} at offset ${i} of the ${field} field says ${len} bytes, only ${end - valueStart} left`,
      );
    }
    const value = buf.subarray(valueStart, valueStart + len);
    if (code === Opt.OVERLOAD) {
      if (!main) {
        throw new DhcpCodecError(
          "bad-overload",
          `option 52 (overload) inside the ${field} field (RFC 2132 §9.3)`,
        );
      }
      if (overload !== 0) throw new DhcpCodecError("bad-overload", "option 52 (overload) appears twice");
      if (len !== 1 || value[0]! < 1 || value[0]! > 3) {
        throw new DhcpCodecError(
          "bad-overload",
          `option 52 (overload) is ${value.toString("hex")}, not one octet 1..3`,
        );
      }
      overload = value[0]!;
    } else {
      // Views into the packet, not copies (node:dgram hands each datagram
      // its own buffer). RFC 3396 §7: several instances of one option are
      // one value, concatenated in the order read (options, file, sname).
      const before = options.get(code);
      options.set(code, before === undefined ? value : Buffer.concat([before, value]));
    }
    i = valueStart + len;
  }
  // No END option: RFC 2131 §4.1 requires one, but clients that pad to the
  // end of the field without it are common enough to accept.
  return overload;
}

/** A NUL-terminated string in a fixed field; bytes taken as Latin-1 so any value round-trips. */
function cString(buf: Buffer, offset: number, length: number): string {
  const field = buf.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.toString("latin1", 0, nul === -1 ? length : nul);
}
