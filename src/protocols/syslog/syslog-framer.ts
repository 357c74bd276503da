import { SyslogParseError } from "./syslog-parse-error.js";

/** Largest frame accepted by default: RFC 5425 4.3.1 asks receivers for at least 2048 and SHOULD 8192; logger sends up to 1024 unless told. */
export const DEFAULT_MAX_FRAME = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;

/**
 * RFC 6587 framing of syslog over TCP, both methods, chosen per frame:
 * octet counting (3.4.1: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN a decimal without
 * leading zero) when a frame starts with a digit, else non-transparent
 * framing (3.4.2) with LF as the trailer (a CR before it is dropped; empty
 * lines are skipped). Holds partial frames across `push` calls and returns
 * whole ones only; a TCP `data` event is never one message.
 *
 * Throws SyslogParseError for a broken count or a frame over `maxFrame`;
 * the stream cannot be resynchronised after that, so the receiver closes
 * the connection.
 */
export class SyslogFramer {
  readonly #maxFrame: number;
  #buf: Buffer = Buffer.alloc(0);
  #failed = false;

  constructor(maxFrame = DEFAULT_MAX_FRAME) {
    this.#maxFrame = maxFrame;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.#buf.length;
  }

  /** Adds received bytes; returns every frame now complete, in order. */
  push(chunk: Uint8Array): Buffer[] {
    if (this.#failed) throw new SyslogParseError("syslog: framing already failed on this stream");
    this.#buf = this.#buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buf, chunk]);
    const frames: Buffer[] = [];
    try {
      let off = 0;
      while (off < this.#buf.length) {
        const c = this.#buf[off]!;
        const used = c >= 0x31 && c <= 0x39 ? this.#octetCounted(off, frames) : this.#lineFramed(off, frames);
        if (used === 0) break;
        off += used;
      }
      this.#buf = off === 0 ? this.#buf : Buffer.from(this.#buf.subarray(off));
    } catch (err) {
      this.#failed = true;
      this.#buf = Buffer.alloc(0);
      throw err;
    }
    return frames;
  }

  /**
   * The stream ended: a last non-transparent frame without its LF is still a
   * message (logger and netcat close right after writing). An incomplete
   * octet-counted frame is a truncated message and is dropped.
   */
  end(): Buffer[] {
    const rest = this.#buf;
    this.#buf = Buffer.alloc(0);
    if (this.#failed || rest.length === 0) return [];
    const c = rest[0]!;
    if (c >= 0x31 && c <= 0x39) return [];
    const frame = trimCr(rest);
    return frame.length > 0 ? [frame] : [];
  }

  /** Returns the bytes consumed, 0 when the frame is not complete yet. */
  #octetCounted(off: number, frames: Buffer[]): number {
    const buf = this.#buf;
    let len = 0;
    let i = off;
    for (; i < buf.length; i++) {
      const c = buf[i]!;
      if (c === SP) break;
      if (c < 0x30 || c > 0x39) {
        throw new SyslogParseError(
          `syslog: invalid octet count: byte 0x${c.toString(16).padStart(2, "0")} in MSG-LEN`,
        );
      }
      len = len * 10 + (c - 0x30);
      if (len > this.#maxFrame) {
        throw new SyslogParseError(`syslog: frame of ${len}+ octets is over the limit of ${this.#maxFrame}`);
      }
    }
    if (i >= buf.length) return 0;
    const start = i + 1;
    if (buf.length - start < len) return 0;
    frames.push(Buffer.from(buf.subarray(start, start + len)));
    return start + len - off;
  }

  #lineFramed(off: number, frames: Buffer[]): number {
    const buf = this.#buf;
    const lf = buf.indexOf(LF, off);
    if (lf < 0) {
      if (buf.length - off > this.#maxFrame) {
        throw new SyslogParseError(
          `syslog: line of ${buf.length - off}+ octets is over the limit of ${this.#maxFrame}`,
        );
      }
      return 0;
    }
    if (lf - off > this.#maxFrame) {
      throw new SyslogParseError(`syslog: line of ${lf - off} octets is over the limit of ${this.#maxFrame}`);
    }
    const frame = trimCr(buf.subarray(off, lf));
    if (frame.length > 0) frames.push(Buffer.from(frame));
    return lf + 1 - off;
  }
}

function trimCr(b: Buffer): Buffer {
  return b.length > 0 && b[b.length - 1] === CR ? b.subarray(0, b.length - 1) : b;
}
