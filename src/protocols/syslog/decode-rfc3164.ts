import { parseRfc3164Timestamp } from "./rfc3164-timestamp.js";
import { parseRfc5424Timestamp } from "./rfc5424-timestamp.js";
import type { DecodeSyslogOptions, SyslogMessage } from "./syslog-message.js";
import type { Pri } from "./syslog-pri.js";
import { SyslogParseError } from "./syslog-parse-error.js";
import { syslogText } from "./syslog-text.js";

/** TAG[PID]: (RFC 3164 5.3 says 32 alphanumerics; real tags hold '-', '.', '/', and run longer). */
const TAG = /^([^\s:[\]]{1,48})(?:\[([^\]\s]{1,128})\])?:(?: |$)/;
/** tag[pid] without the colon (some embedded senders). */
const TAG_NO_COLON = /^([^\s:[\]]{1,48})\[([^\]\s]{1,128})\](?: |$)/;
/** An ISO timestamp where the BSD one belongs (rsyslog's forward format, busybox -R with ISO). */
const ISO_START = /^\d{4}-\d{2}-\d{2}T\S+/;

/**
 * The BSD syslog format (RFC 3164 4.1), read the way relays and rsyslog read
 * it: everything after PRI is optional. A message with no PRI is user.notice
 * (13, RFC 3164 4.3.3); a missing or unreadable TIMESTAMP leaves the text
 * as message (4.3.2). The token after a TIMESTAMP is the HOSTNAME unless it
 * is already the TAG (busybox's remote logging sends no hostname).
 */
export function decodeRfc3164(buf: Uint8Array, pri: Pri | null, opts: DecodeSyslogOptions): SyslogMessage {
  let text = syslogText(buf.subarray(pri?.end ?? 0));
  let timestamp: number | null = null;
  let hostname: string | null = null;
  let sawTime = false;

  const bsd = parseRfc3164Timestamp(text, opts.now, opts.utcOffsetMinutes ?? 0);
  if (bsd && (text.length === bsd.length || text[bsd.length] === " ")) {
    timestamp = bsd.timestamp;
    text = text.slice(bsd.length + 1);
    sawTime = true;
  } else {
    const iso = ISO_START.exec(text);
    if (iso) {
      try {
        timestamp = parseRfc5424Timestamp(iso[0]);
        text = text.slice(iso[0].length + 1);
        sawTime = true;
      } catch (err) {
        if (!(err instanceof SyslogParseError)) throw err;
      }
    }
  }

  if (sawTime) {
    const sp = text.indexOf(" ");
    if (sp > 0 && sp <= 255) {
      const word = text.slice(0, sp);
      if (!word.endsWith(":") && !word.includes("[")) {
        hostname = word;
        text = text.slice(sp + 1);
      }
    }
  }

  let app: string | null = null;
  let procid: string | null = null;
  const tag = TAG.exec(text) ?? TAG_NO_COLON.exec(text);
  if (tag) {
    app = tag[1]!;
    procid = tag[2] ?? null;
    text = text.slice(tag[0].length);
  }

  return {
    format: "rfc3164",
    facility: pri?.facility ?? 1,
    severity: pri?.severity ?? 5,
    timestamp,
    hostname,
    app,
    procid,
    msgid: null,
    structuredData: [],
    message: text,
    bom: false,
  };
}
