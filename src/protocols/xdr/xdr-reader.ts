/**
 * Reads XDR (RFC 4506) from one buffer, keeping its position. Every item is
 * a multiple of four bytes (section 3); every length is checked against the
 * bytes left and against the caller's maximum before anything is read or
 * allocated, so a length field of 2^32-1 costs nothing.
 *
 * Each read names the field it reads, and an error says which field broke
 * at which offset.
 */
import { XdrError } from "./xdr-error.js";

/** Bytes of padding after `n` bytes of opaque data (RFC 4506 section 4.9). */
export function xdrPadding(n: number): number {
  return (4 - (n & 3)) & 3;
}

export class XdrReader {
  readonly #buf: Buffer;
  #pos: number;

  constructor(buf: Buffer, offset = 0) {
    this.#buf = buf;
    this.#pos = offset;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #need(n: number, what: string): void {
    if (n > this.#buf.length - this.#pos) {
      throw new XdrError(
        `${what}: needs ${n} bytes at offset ${this.#pos}, only ${this.#buf.length - this.#pos} left`,
      );
    }
  }

  uint32(what: string): number {
    this.#need(4, what);
    const v = this.#buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }

  int32(what: string): number {
    this.#need(4, what);
    const v = this.#buf.readInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }

  /** Unsigned hyper (section 4.5). */
  uint64(what: string): bigint {
    this.#need(8, what);
    const v = this.#buf.readBigUInt64BE(this.#pos);
    this.#pos += 8;
    return v;
  }

  /** Booleans are an enum of 0 and 1 only (section 4.4). */
  bool(what: string): boolean {
    const at = this.#pos;
    const v = this.uint32(what);
    if (v > 1) throw new XdrError(`${what}: boolean ${v} at offset ${at}, expected 0 or 1`);
    return v === 1;
  }

  /** Fixed-length opaque (section 4.9): `n` bytes and their padding; a view, not a copy. */
  fixedOpaque(n: number, what: string): Buffer {
    const padded = n + xdrPadding(n);
    this.#need(padded, what);
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += padded;
    return out;
  }

  /** Variable-length opaque (section 4.10) of at most `max` bytes; a view, not a copy. */
  opaque(max: number, what: string): Buffer {
    const at = this.#pos;
    const n = this.uint32(`${what} length`);
    if (n > max) throw new XdrError(`${what}: length ${n} at offset ${at}, more than the ${max} allowed`);
    return this.fixedOpaque(n, what);
  }

  /** String (section 4.11) of at most `max` bytes, as UTF-8. */
  string(max: number, what: string): string {
    return this.opaque(max, what).toString("utf8");
  }

  /** Optional data (section 4.19): a boolean, then the item when true. */
  optional<T>(what: string, read: (r: XdrReader) => T): T | undefined {
    return this.bool(`${what} present`) ? read(this) : undefined;
  }

  /** The bytes not read yet; a view. */
  rest(): Buffer {
    const out = this.#buf.subarray(this.#pos);
    this.#pos = this.#buf.length;
    return out;
  }
}
