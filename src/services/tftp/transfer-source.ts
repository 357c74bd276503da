/**
 * Where a transfer's bytes come from: a whole buffer (generated files, cached
 * hot files, netascii conversions) or, for files too big for the cache, a
 * file handle read a chunk at a time. Blocks are copied straight into the
 * transfer's reusable packet buffers.
 */
import { closeSync, readSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { openResolved, openResolvedSync } from "../file-cache/open-resolved.js";

/**
 * What a transfer reads, in a form that can be posted to a worker thread: a
 * body in memory (shared memory for cached files, so nothing is copied), or
 * a checked file to stream (opened again by whoever runs the transfer, and
 * refused if it is no longer the file that was checked).
 */
export type TransferSourceSpec =
  | { readonly kind: "buffer"; readonly body: Uint8Array }
  | {
      readonly kind: "file";
      readonly realPath: string;
      readonly size: number;
      readonly dev: number;
      readonly ino: number;
      readonly chunkBytes: number;
    };

export async function openTransferSource(spec: TransferSourceSpec): Promise<TransferSource> {
  if (spec.kind === "buffer") return new BufferSource(asBuffer(spec.body));
  const handle = await openResolved(spec.realPath, spec);
  return new ChunkedFileSource(handle, spec.size, spec.chunkBytes);
}

/**
 * The same, read with blocking calls: for a worker thread that runs its own
 * loop (poll-loop.ts) and so has no libuv to complete a promise. in.tftpd
 * reads the same way; a chunk read is from the page cache nearly always.
 */
export function openTransferSourceSync(spec: TransferSourceSpec): TransferSource {
  if (spec.kind === "buffer") return new BufferSource(asBuffer(spec.body));
  return new SyncFileSource(openResolvedSync(spec.realPath, spec), spec.size, spec.chunkBytes);
}

/** A posted body arrives as a plain Uint8Array: view the same memory as a Buffer. */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export interface TransferSource {
  readonly size: number;
  /**
   * Copies bytes [start, end) into `target` at `targetStart`. False when they
   * are not in memory yet: call `load(start, end)` and try again.
   */
  copy(target: Buffer, targetStart: number, start: number, end: number): boolean;
  /**
   * Brings at least [start, end) into memory, then calls `done` (with the
   * error if the read failed). A callback, not a promise: a source read
   * with blocking calls calls it at once, in a thread whose own loop never
   * lets promise callbacks run (poll-loop.ts).
   */
  load(start: number, end: number, done: (error?: Error) => void): void;
  close(): void;
}

export class BufferSource implements TransferSource {
  readonly #buf: Buffer;

  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  get size(): number {
    return this.#buf.length;
  }

  copy(target: Buffer, targetStart: number, start: number, end: number): boolean {
    this.#buf.copy(target, targetStart, start, end);
    return true;
  }

  load(_start: number, _end: number, done: (error?: Error) => void): void {
    done();
  }

  close(): void {}
}

/**
 * The one chunk of a big file a transfer holds in memory; the two file
 * sources below differ only in how they fill it. A window never goes
 * backwards (a retransmission starts at the oldest unacknowledged block,
 * which the last read covered), so one chunk is enough. Each read makes a
 * new chunk: a packet still queued in the socket may point into the old one.
 */
abstract class FileChunks {
  readonly size: number;
  readonly #chunkBytes: number;
  #chunk: Buffer | null = null;
  #chunkStart = 0;
  #closed = false;

  constructor(size: number, chunkBytes: number) {
    this.size = size;
    this.#chunkBytes = chunkBytes;
  }

  /** Copies [start, end) from the chunk; false when it is not all there. */
  protected fromChunk(target: Buffer, targetStart: number, start: number, end: number): boolean {
    if (end <= start) return true;
    const chunk = this.#chunk;
    if (chunk === null || start < this.#chunkStart || end > this.#chunkStart + chunk.length) return false;
    chunk.copy(target, targetStart, start - this.#chunkStart, end - this.#chunkStart);
    return true;
  }

  /** A new, empty chunk covering at least [start, end), for `fill` to read into and `keep`. */
  protected newChunk(start: number, end: number): Buffer {
    if (this.#closed) throw new Error("file closed");
    return Buffer.allocUnsafe(Math.min(this.size - start, Math.max(this.#chunkBytes, end - start)));
  }

  protected keep(chunk: Buffer, start: number): void {
    this.#chunk = chunk;
    this.#chunkStart = start;
  }

  protected static shrank(at: number): Error {
    return new Error(`file shrank during the transfer (read ended at ${at})`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunk = null;
    this.release();
  }

  protected abstract release(): void;
}

/** A big file read in chunks of at least `chunkBytes` through a FileHandle (libuv's thread pool). */
export class ChunkedFileSource extends FileChunks implements TransferSource {
  readonly #handle: FileHandle;

  constructor(handle: FileHandle, size: number, chunkBytes: number) {
    super(size, chunkBytes);
    this.#handle = handle;
  }

  copy(target: Buffer, targetStart: number, start: number, end: number): boolean {
    return this.fromChunk(target, targetStart, start, end);
  }

  load(start: number, end: number, done: (error?: Error) => void): void {
    this.#read(start, end).then(
      () => done(),
      (e: unknown) => done(e as Error),
    );
  }

  async #read(start: number, end: number): Promise<void> {
    const chunk = this.newChunk(start, end);
    for (let got = 0; got < chunk.length; ) {
      const { bytesRead } = await this.#handle.read(chunk, got, chunk.length - got, start + got);
      if (bytesRead === 0) throw FileChunks.shrank(start + got);
      got += bytesRead;
    }
    this.keep(chunk, start);
  }

  protected release(): void {
    this.#handle.close().catch(() => {});
  }
}

/**
 * The same with blocking reads: `copy` reads the chunk it needs itself, and
 * returns false only when that read failed (`load` then reports the error).
 */
export class SyncFileSource extends FileChunks implements TransferSource {
  readonly #fd: number;

  constructor(fd: number, size: number, chunkBytes: number) {
    super(size, chunkBytes);
    this.#fd = fd;
  }

  copy(target: Buffer, targetStart: number, start: number, end: number): boolean {
    if (this.fromChunk(target, targetStart, start, end)) return true;
    try {
      this.#read(start, end);
    } catch {
      return false;
    }
    return this.fromChunk(target, targetStart, start, end);
  }

  load(start: number, end: number, done: (error?: Error) => void): void {
    try {
      this.#read(start, end);
    } catch (e) {
      done(e as Error);
      return;
    }
    done();
  }

  #read(start: number, end: number): void {
    const chunk = this.newChunk(start, end);
    for (let got = 0; got < chunk.length; ) {
      const n = readSync(this.#fd, chunk, got, chunk.length - got, start + got);
      if (n === 0) throw FileChunks.shrank(start + got);
      got += n;
    }
    this.keep(chunk, start);
  }

  protected release(): void {
    closeSync(this.#fd);
  }
}
