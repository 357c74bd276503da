import { daysInMonth } from "./rfc5424-timestamp.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 3164 4.1.2 TIMESTAMP: "Mmm dd hh:mm:ss", the day space-padded ("Feb  5"). */
const BSD_TIME = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ 1-3]\d) (\d{2}):(\d{2}):(\d{2})/;

export interface Rfc3164Time {
  /** ms since the epoch, or null when no reference time was given to infer the year. */
  readonly timestamp: number | null;
  /** Characters the timestamp took (always 15). */
  readonly length: number;
}

/**
 * Reads a BSD timestamp at the start of `text`; null when there is none or it
 * names no real date or time (then the text is taken as part of the message,
 * as RFC 3164 4.3.2 asks of a relay). The year is not sent: the one of
 * now-1, now, now+1 that puts the date nearest `now` wins, which handles a
 * December line read in January and a client whose clock runs ahead.
 */
export function parseRfc3164Timestamp(
  text: string,
  now: number | undefined,
  utcOffsetMinutes: number,
): Rfc3164Time | null {
  const m = BSD_TIME.exec(text);
  if (!m) return null;
  const month = MONTHS.indexOf(m[1]!) + 1;
  const day = Number(m[2]!.trim());
  const hour = Number(m[3]);
  const minute = Number(m[4]);
  const second = Number(m[5]);
  if (day < 1 || hour > 23 || minute > 59 || second > 60) return null;
  if (now === undefined) return day <= 31 ? { timestamp: null, length: 15 } : null;
  const year = new Date(now + utcOffsetMinutes * 60_000).getUTCFullYear();
  let best: number | null = null;
  for (const y of [year - 1, year, year + 1]) {
    if (day > daysInMonth(y, month)) continue;
    const t = Date.UTC(y, month - 1, day, hour, minute, Math.min(second, 59)) - utcOffsetMinutes * 60_000;
    if (best === null || Math.abs(t - now) < Math.abs(best - now)) best = t;
  }
  return best === null ? null : { timestamp: best, length: 15 };
}
