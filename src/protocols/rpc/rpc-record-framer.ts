/**
 * Record marking for RPC over TCP (RFC 5531 section 11): each record is one
 * or more fragments, each behind a 4-byte mark whose top bit says "last
 * fragment" and whose other 31 bits give the fragment's length. TCP hands
 * bytes over in any split; the framer keeps partial marks and fragments and
 * hands out whole records only.
 *
 * A record longer than `maxRecordBytes` is refused as soon as a mark says
 * so, before its bytes are buffered: the service closes that connection.
 */
import { ByteQueue } from "../byte-queue.js";
import { XdrError } from "../xdr/xdr-error.js";
import type { XdrWriter } from "../xdr/xdr-writer.js";

const LAST_FRAGMENT = 0x80000000;

export class RpcRecordFramer {
  readonly #maxRecordBytes: number;
  readonly #bytes = new ByteQueue();
  /** Fragments of the record being assembled. */
  readonly #fragments: Buffer[] = [];
  #recordBytes = 0;

  constructor(maxRecordBytes: number) {
    this.#maxRecordBytes = maxRecordBytes;
  }

  /** Bytes received and not handed out yet, fragments held included. */
  get buffered(): number {
    return this.#bytes.length + this.#recordBytes;
  }

  push(chunk: Buffer): void {
    this.#bytes.push(chunk);
  }

  /** The next whole record, or undefined until more bytes arrive. XdrError for a record over the limit. */
  next(): Buffer | undefined {
    for (;;) {
      if (this.#bytes.length < 4) return undefined;
      const mark = this.#bytes.peek(4).readUInt32BE(0);
      const length = mark & ~LAST_FRAGMENT;
      const last = (mark & LAST_FRAGMENT) !== 0;
      if (this.#recordBytes + length > this.#maxRecordBytes) {
        throw new XdrError(
          `RPC record of at least ${this.#recordBytes + length} bytes, more than the ${this.#maxRecordBytes} accepted`,
        );
      }
      if (this.#bytes.length < 4 + length) return undefined;
      this.#bytes.skip(4);
      const fragment = this.#bytes.take(length);
      if (!last) {
        this.#fragments.push(fragment);
        this.#recordBytes += length;
        continue;
      }
      if (this.#fragments.length === 0) return fragment;
      this.#fragments.push(fragment);
      const record = Buffer.concat(this.#fragments);
      this.#fragments.length = 0;
      this.#recordBytes = 0;
      return record;
    }
  }
}

/**
 * Room for the record mark at the start of a writer: call before writing a
 * reply, then `sealRecord` with the offset returned.
 */
export function reserveRecordMark(w: XdrWriter): number {
  return w.reserve(4);
}

/**
 * Writes the mark of a single, last fragment holding everything after
 * `markAt`, and `extraBytes` more sent right after the writer's bytes.
 */
export function sealRecord(w: XdrWriter, markAt: number, extraBytes = 0): Buffer {
  w.patchUint32(markAt, LAST_FRAGMENT | (w.length - markAt - 4 + extraBytes));
  return w.bytes();
}
