import { SyslogParseError } from "./syslog-parse-error.js";

/**
 * RFC 5424 6.2.3 TIMESTAMP (RFC 3339 with its restrictions: upper-case T
 * and Z, at most 6 fraction digits, no leap second) to ms since the epoch.
 * Fractions below a millisecond are dropped.
 */
const RFC5424_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/;

export function parseRfc5424Timestamp(text: string): number {
  const m = RFC5424_TIME.exec(text);
  if (!m) throw new SyslogParseError(`syslog: invalid TIMESTAMP '${printable(text)}'`);
  const [, y, mo, d, h, mi, s, frac, off] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new SyslogParseError(`syslog: invalid TIMESTAMP '${text}': no such date`);
  }
  // 6.2.3.1: leap seconds MUST NOT be used.
  if (hour > 23 || minute > 59 || second > 59) {
    throw new SyslogParseError(`syslog: invalid TIMESTAMP '${text}': no such time`);
  }
  let offsetMinutes = 0;
  if (off !== "Z") {
    const oh = Number(off!.slice(1, 3));
    const om = Number(off!.slice(4, 6));
    if (oh > 23 || om > 59) throw new SyslogParseError(`syslog: invalid TIMESTAMP '${text}': no such offset`);
    offsetMinutes = (off![0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  const utc = new Date(0);
  // setUTCFullYear: years 0-99 are not shifted to 1900-1999 as in Date.UTC.
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, ms);
  return utc.getTime() - offsetMinutes * 60_000;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function printable(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
