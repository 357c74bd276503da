/**
 * Writes XDR (RFC 4506) into a buffer that grows by doubling. Chainable;
 * `reserve` keeps room for a value known only at the end (the RPC record
 * mark, which carries the record's length), filled with `patchUint32`.
 */
import { xdrPadding } from "./xdr-reader.js";

export class XdrWriter {
  #buf: Buffer;
  #pos = 0;

  constructor(initialBytes = 512) {
    this.#buf = Buffer.allocUnsafe(Math.max(16, initialBytes));
  }

  get length(): number {
    return this.#pos;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  uint32(v: number): this {
    this.#room(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#pos);
    this.#pos += 4;
    return this;
  }

  int32(v: number): this {
    this.#room(4);
    this.#buf.writeInt32BE(v | 0, this.#pos);
    this.#pos += 4;
    return this;
  }

  uint64(v: bigint): this {
    this.#room(8);
    this.#buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.#pos);
    this.#pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.uint32(v ? 1 : 0);
  }

  /** Fixed-length opaque: the bytes and zero padding to a multiple of four. */
  fixedOpaque(data: Uint8Array): this {
    const pad = xdrPadding(data.length);
    this.#room(data.length + pad);
    this.#buf.set(data, this.#pos);
    this.#pos += data.length;
    this.#buf.fill(0, this.#pos, this.#pos + pad);
    this.#pos += pad;
    return this;
  }

  /** Variable-length opaque: the length, then the bytes. */
  opaque(data: Uint8Array): this {
    return this.uint32(data.length).fixedOpaque(data);
  }

  string(s: string): this {
    return this.opaque(Buffer.from(s, "utf8"));
  }

  /** Optional data: false, or true and the item. */
  optional<T>(value: T | undefined, write: (w: this, v: T) => void): this {
    if (value === undefined) return this.bool(false);
    this.bool(true);
    write(this, value);
    return this;
  }

  /** Skips `n` bytes to fill later; returns their offset. */
  reserve(n: number): number {
    this.#room(n);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  patchUint32(offset: number, v: number): this {
    this.#buf.writeUInt32BE(v >>> 0, offset);
    return this;
  }

  /** What was written: a view of the writer's buffer, valid until the next write. */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }
}
