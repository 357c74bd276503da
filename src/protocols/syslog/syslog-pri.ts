import { SyslogParseError } from "./syslog-parse-error.js";

/** Largest PRI: facility 23 (local7) * 8 + severity 7 (RFC 5424 6.2.1). */
const MAX_PRI = 191;

export interface Pri {
  readonly facility: number;
  readonly severity: number;
  /** Offset of the first byte after '>'. */
  readonly end: number;
}

/**
 * Reads `<PRI>` at the start of `buf` (RFC 5424 6.2.1: "<" 1*3DIGIT ">",
 * 0-191, no leading zeros but for "<0>"). null when the message does not
 * start with '<' at all, which RFC 3164 4.3.3 allows (a relay assumes 13).
 */
export function parsePri(buf: Uint8Array): Pri | null {
  if (buf.length === 0 || buf[0] !== 0x3c) return null;
  let value = 0;
  let i = 1;
  for (; i < buf.length && i <= 3; i++) {
    const c = buf[i]!;
    if (c === 0x3e) break;
    if (c < 0x30 || c > 0x39)
      throw new SyslogParseError(`syslog: invalid PRI: byte 0x${hex(c)} at offset ${i}`);
    value = value * 10 + (c - 0x30);
  }
  if (i >= buf.length || buf[i] !== 0x3e)
    throw new SyslogParseError("syslog: invalid PRI: no '>' within 3 digits");
  const digits = i - 1;
  if (digits === 0) throw new SyslogParseError("syslog: invalid PRI: empty");
  if (digits > 1 && buf[1] === 0x30) throw new SyslogParseError("syslog: invalid PRI: leading zero");
  if (value > MAX_PRI) throw new SyslogParseError(`syslog: invalid PRI: ${value} is above ${MAX_PRI}`);
  return { facility: value >> 3, severity: value & 7, end: i + 1 };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}
