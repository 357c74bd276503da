import { parseRfc5424Timestamp } from "./rfc5424-timestamp.js";
import type { SdElement, SdParam, SyslogMessage } from "./syslog-message.js";
import type { Pri } from "./syslog-pri.js";
import { SyslogParseError } from "./syslog-parse-error.js";
import { syslogText } from "./syslog-text.js";

const SP = 0x20;
const NIL = 0x2d; // "-"
const OPEN = 0x5b; // "["
const CLOSE = 0x5d; // "]"
const QUOTE = 0x22;
const EQ = 0x3d;
const BACKSLASH = 0x5c;

/** RFC 5424 6.2.4-6.2.7: header field name and its longest allowed value. */
const FIELDS = [
  ["HOSTNAME", 255],
  ["APP-NAME", 48],
  ["PROCID", 128],
  ["MSGID", 32],
] as const;

/**
 * Decodes an RFC 5424 message whose PRI was read (`pri.end` points at the
 * VERSION). Every header field is checked against the ABNF of RFC 5424 6;
 * the STRUCTURED-DATA is parsed fully (6.3), MSG taken as UTF-8 (6.4).
 */
export function decodeRfc5424(buf: Uint8Array, pri: Pri): SyslogMessage {
  let i = pri.end;

  const token = (field: string): string => {
    const start = i;
    while (i < buf.length && buf[i] !== SP) i++;
    if (i === start) throw new SyslogParseError(`syslog: empty ${field} at offset ${start}`);
    for (let k = start; k < i; k++) {
      const c = buf[k]!;
      // PRINTUSASCII (%d33-126) only in header fields.
      if (c < 33 || c > 126) {
        throw new SyslogParseError(
          `syslog: ${field}: byte 0x${c.toString(16).padStart(2, "0")} at offset ${k}`,
        );
      }
    }
    return String.fromCharCode(...buf.subarray(start, i));
  };
  const space = (after: string): void => {
    if (i >= buf.length) throw new SyslogParseError(`syslog: message ends after ${after}`);
    if (buf[i] !== SP) throw new SyslogParseError(`syslog: expected SP after ${after} at offset ${i}`);
    i++;
  };

  const version = token("VERSION");
  if (version !== "1") throw new SyslogParseError(`syslog: unsupported VERSION ${version}`);
  space("VERSION");
  const ts = token("TIMESTAMP");
  const timestamp = ts === "-" ? null : parseRfc5424Timestamp(ts);
  const values: (string | null)[] = [];
  for (const [name, max] of FIELDS) {
    space(values.length === 0 ? "TIMESTAMP" : FIELDS[values.length - 1]![0]);
    const v = token(name);
    if (v.length > max) throw new SyslogParseError(`syslog: ${name} longer than ${max} characters`);
    values.push(v === "-" ? null : v);
  }
  space("MSGID");

  const structuredData: SdElement[] = [];
  if (i >= buf.length) throw new SyslogParseError("syslog: message ends before STRUCTURED-DATA");
  if (buf[i] === NIL) {
    i++;
  } else if (buf[i] === OPEN) {
    while (i < buf.length && buf[i] === OPEN) {
      i++;
      const id = sdName("SD-ID");
      const params: SdParam[] = [];
      while (i < buf.length && buf[i] === SP) {
        i++;
        const name = sdName("PARAM-NAME");
        if (buf[i] !== EQ) throw new SyslogParseError(`syslog: expected '=' after PARAM-NAME at offset ${i}`);
        i++;
        if (buf[i] !== QUOTE)
          throw new SyslogParseError(`syslog: expected '"' to open PARAM-VALUE at offset ${i}`);
        i++;
        params.push({ name, value: paramValue() });
      }
      if (i >= buf.length) throw new SyslogParseError("syslog: STRUCTURED-DATA not closed with ']'");
      if (buf[i] !== CLOSE)
        throw new SyslogParseError(`syslog: expected ']' or SP in SD-ELEMENT at offset ${i}`);
      i++;
      structuredData.push({ id, params });
    }
  } else {
    throw new SyslogParseError(`syslog: STRUCTURED-DATA must be '-' or '[' at offset ${i}`);
  }

  let bom = false;
  let message = "";
  if (i < buf.length) {
    if (buf[i] !== SP) throw new SyslogParseError(`syslog: expected SP after STRUCTURED-DATA at offset ${i}`);
    i++;
    // 6.4: MSG-UTF8 starts with the BOM; MSG-ANY need not be UTF-8, but in
    // practice is (or ASCII): both decode as UTF-8, invalid bytes as U+FFFD.
    if (buf[i] === 0xef && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf) {
      bom = true;
      i += 3;
    }
    message = syslogText(buf.subarray(i));
  }

  return {
    format: "rfc5424",
    facility: pri.facility,
    severity: pri.severity,
    timestamp,
    hostname: values[0] ?? null,
    app: values[1] ?? null,
    procid: values[2] ?? null,
    msgid: values[3] ?? null,
    structuredData,
    message,
    bom,
  };

  /** 6.3.3 SD-NAME: 1*32 PRINTUSASCII except '=', SP, ']', '"'. */
  function sdName(what: string): string {
    const start = i;
    while (i < buf.length) {
      const c = buf[i]!;
      if (c === EQ || c === SP || c === CLOSE || c === QUOTE) break;
      if (c < 33 || c > 126) {
        throw new SyslogParseError(
          `syslog: ${what}: byte 0x${c.toString(16).padStart(2, "0")} at offset ${i}`,
        );
      }
      i++;
    }
    if (i === start) throw new SyslogParseError(`syslog: empty ${what} at offset ${start}`);
    if (i - start > 32) throw new SyslogParseError(`syslog: ${what} longer than 32 characters`);
    return String.fromCharCode(...buf.subarray(start, i));
  }

  /** 6.3.3 PARAM-VALUE up to the closing '"'; \" \\ \] are escapes, any other '\' is kept. */
  function paramValue(): string {
    const out: number[] = [];
    while (i < buf.length) {
      const c = buf[i]!;
      if (c === QUOTE) {
        i++;
        return syslogText(Uint8Array.from(out), false);
      }
      if (c === BACKSLASH && i + 1 < buf.length) {
        const n = buf[i + 1]!;
        if (n === QUOTE || n === BACKSLASH || n === CLOSE) {
          out.push(n);
          i += 2;
          continue;
        }
      }
      out.push(c);
      i++;
    }
    throw new SyslogParseError("syslog: PARAM-VALUE not closed with '\"'");
  }
}
