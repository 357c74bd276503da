import { decodeRfc3164 } from "./decode-rfc3164.js";
import { decodeRfc5424 } from "./decode-rfc5424.js";
import type { DecodeSyslogOptions, SyslogMessage } from "./syslog-message.js";
import { SyslogParseError } from "./syslog-parse-error.js";
import { parsePri } from "./syslog-pri.js";

/**
 * Decodes one syslog message (a UDP datagram, or one frame from
 * SyslogFramer). RFC 5424 when PRI is followed by a VERSION and a SP and a
 * TIMESTAMP or NILVALUE ("<13>1 2025-..." / "<13>1 - ..."), else the BSD
 * format. Throws SyslogParseError, and nothing else, for what it cannot read.
 */
export function decodeSyslog(buf: Uint8Array, opts: DecodeSyslogOptions = {}): SyslogMessage {
  if (buf.length === 0) throw new SyslogParseError("syslog: empty message");
  const pri = parsePri(buf);
  if (pri && looksLike5424(buf, pri.end)) return decodeRfc5424(buf, pri);
  return decodeRfc3164(buf, pri, opts);
}

/** VERSION = NONZERO-DIGIT 0*2DIGIT (RFC 5424 6), then SP, then '-' or a digit. */
function looksLike5424(buf: Uint8Array, i: number): boolean {
  const digit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
  if (!digit(buf[i]) || buf[i] === 0x30) return false;
  let j = i + 1;
  while (j < i + 3 && digit(buf[j])) j++;
  if (buf[j] !== 0x20) return false;
  const next = buf[j + 1];
  return next === 0x2d || digit(next);
}
