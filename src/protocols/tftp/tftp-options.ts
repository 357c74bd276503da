/**
 * Option negotiation for a read request, pure: RFC 2347 (the mechanism),
 * RFC 2348 (blksize), RFC 2349 (timeout, tsize) and RFC 7440 (windowsize).
 * The server answers only options it understands and accepts; the rest are
 * left out of the OACK, which RFC 2347 section "Negotiation Protocol" says is
 * how a server declines them. No accepted option: no OACK, DATA 1 at once.
 */
import type { TftpOption } from "./tftp-packet.js";

/** RFC 1350's fixed block size, used when blksize is not negotiated. */
export const DEFAULT_BLKSIZE = 512;
/** RFC 2348: "Valid values range between 8 and 65464 octets, inclusive." */
export const MIN_BLKSIZE = 8;
export const MAX_BLKSIZE = 65464;
/** RFC 7440 section 3: 1..65535 blocks. */
export const MAX_WINDOWSIZE = 65535;

export interface OptionLimits {
  /** Largest blksize the server accepts (<= 65464); larger requests are answered with this. */
  readonly maxBlksize: number;
  /** Largest windowsize the server accepts; larger requests are answered with this. */
  readonly maxWindowsize: number;
  /**
   * Cap on blksize * windowsize: one window must fit the transfer's read-ahead
   * and the socket buffers. The windowsize is lowered to fit (never below 1).
   */
  readonly maxWindowBytes: number;
}

export interface IgnoredOption {
  readonly name: string;
  readonly value: string;
  readonly reason: string;
}

export interface NegotiatedOptions {
  readonly blksize: number;
  readonly windowsize: number;
  /** RFC 2349 timeout in milliseconds, when the client set one. */
  readonly timeoutMs: number | undefined;
  /** What goes in the OACK, in the client's order; empty: send no OACK. */
  readonly oack: readonly TftpOption[];
  /** Options left out of the OACK and why (for a debug log line). */
  readonly ignored: readonly IgnoredOption[];
}

const DECIMAL = /^[0-9]{1,10}$/;

function integer(value: string): number | null {
  const v = value.trim();
  return DECIMAL.test(v) ? Number(v) : null;
}

/**
 * Decides the reply to a read request's options.
 * @param fileSize bytes the client will receive (after netascii conversion), for tsize.
 */
export function negotiateReadOptions(
  options: readonly TftpOption[],
  fileSize: number,
  limits: OptionLimits,
): NegotiatedOptions {
  let blksize = DEFAULT_BLKSIZE;
  let requestedWindow = 1;
  let timeoutMs: number | undefined;
  const accepted = new Map<string, string>();
  const ignored: IgnoredOption[] = [];
  const seen = new Set<string>();

  for (const { name, value } of options) {
    if (seen.has(name)) {
      // RFC 2347 does not allow repeats; the first one counts.
      ignored.push({ name, value, reason: "repeated" });
      continue;
    }
    seen.add(name);
    const n = integer(value);
    switch (name) {
      case "blksize":
        if (n === null || n < MIN_BLKSIZE) {
          ignored.push({ name, value, reason: `not a number >= ${MIN_BLKSIZE}` });
          break;
        }
        // RFC 2348: the server may answer with a smaller size; the client must then use it.
        blksize = Math.min(n, limits.maxBlksize, MAX_BLKSIZE);
        accepted.set(name, String(blksize));
        break;
      case "timeout":
        // RFC 2349: 1..255 seconds, and the OACK must carry the same value.
        if (n === null || n < 1 || n > 255) {
          ignored.push({ name, value, reason: "not a number of seconds in 1..255" });
          break;
        }
        timeoutMs = n * 1000;
        accepted.set(name, String(n));
        break;
      case "tsize":
        // RFC 2349: the client sends 0 in an RRQ; the OACK carries the size.
        // The value itself means nothing in an RRQ, so any is taken, as
        // tftp-hpa does: atftp's `--option "tsize enable"` sends "enable".
        // curl (tftp.c, at least to 8.x) fails a transfer whose OACK says
        // "tsize 0" ("invalid tsize value in OACK packet"), as it does against
        // tftpd-hpa and dnsmasq. Leaving tsize out is a legal answer (the server
        // may decline any option) and every client then reads to the short block.
        if (fileSize === 0) {
          ignored.push({ name, value, reason: "empty file: tsize 0 left out for curl" });
          break;
        }
        accepted.set(name, String(fileSize));
        break;
      case "windowsize":
        if (n === null || n < 1 || n > MAX_WINDOWSIZE) {
          ignored.push({ name, value, reason: `not a number in 1..${MAX_WINDOWSIZE}` });
          break;
        }
        requestedWindow = n;
        accepted.set(name, ""); // filled in below, once blksize is known
        break;
      default:
        // RFC 2347: "Options which the server does not support should be omitted from the OACK."
        ignored.push({ name, value, reason: "unknown option" });
    }
  }

  let windowsize = 1;
  if (accepted.has("windowsize")) {
    const byBytes = Math.max(1, Math.floor(limits.maxWindowBytes / blksize));
    windowsize = Math.max(1, Math.min(requestedWindow, limits.maxWindowsize, byBytes));
    accepted.set("windowsize", String(windowsize));
  }

  const oack: TftpOption[] = [];
  for (const [name, value] of accepted) oack.push({ name, value });
  return { blksize, windowsize, timeoutMs, oack, ignored };
}
