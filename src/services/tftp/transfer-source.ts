/**
 * Where a transfer's bytes come from: a whole buffer (generated files, cached
 * hot files, netascii conversions) or, for files too big for the cache, a
 * file handle read a chunk at a time. Blocks are copied straight into the
 * transfer's reusable packet buffers.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { openResolved } from "./tftp-file-cache.js";

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
  if (spec.kind === "buffer") {
    const b = spec.body;
    return new BufferSource(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  const handle = await openResolved(spec.realPath, spec);
  return new ChunkedFileSource(handle, spec.size, spec.chunkBytes);
}

/**
 * The same, read with blocking calls: for a worker thread that runs its own
 * loop (poll-loop.ts) and so has no libuv to complete a promise. in.tftpd
 * reads the same way; a chunk read is from the page cache nearly always.
 */
export function openTransferSourceSync(spec: TransferSourceSpec): TransferSource {
  if (spec.kind === "buffer") {
    const b = spec.body;
    return new BufferSource(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  // O_NONBLOCK and the identity check: as openResolved (a FIFO or another file swapped in after the check).
  const fd = openSync(spec.realPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const now = fstatSync(fd);
    if (!now.isFile() || now.ino !== spec.ino || now.dev !== spec.dev)
      throw new Error("file changed while opening");
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return new SyncFileSource(fd, spec.size, spec.chunkBytes);
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
 * Reads a big file in chunks of at least `chunkBytes`, one chunk in memory per
 * transfer. A window never goes backwards (a retransmission starts at the
 * oldest unacknowledged block, which the last load covered), so one chunk is
 * enough. Each load allocates a new chunk: a packet still queued in the
 * socket may point into the old one.
 */
export class ChunkedFileSource implements TransferSource {
  readonly size: number;
  readonly #handle: FileHandle;
  readonly #chunkBytes: number;
  #chunk: Buffer | null = null;
  #chunkStart = 0;
  #closed = false;

  constructor(handle: FileHandle, size: number, chunkBytes: number) {
    this.#handle = handle;
    this.size = size;
    this.#chunkBytes = chunkBytes;
  }

  copy(target: Buffer, targetStart: number, start: number, end: number): boolean {
    if (end <= start) return true;
    const chunk = this.#chunk;
    if (chunk === null || start < this.#chunkStart || end > this.#chunkStart + chunk.length) return false;
    chunk.copy(target, targetStart, start - this.#chunkStart, end - this.#chunkStart);
    return true;
  }

  load(start: number, end: number, done: (error?: Error) => void): void {
    this.#load(start, end).then(
      () => done(),
      (e: unknown) => done(e as Error),
    );
  }

  async #load(start: number, end: number): Promise<void> {
    if (this.#closed) throw new Error("file closed");
    const length = Math.min(this.size - start, Math.max(this.#chunkBytes, end - start));
    const chunk = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.#handle.read(chunk, got, length - got, start + got);
      if (bytesRead === 0) throw new Error(`file shrank during the transfer (read ended at ${start + got})`);
      got += bytesRead;
    }
    this.#chunk = chunk;
    this.#chunkStart = start;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunk = null;
    this.#handle.close().catch(() => {});
  }
}

/**
 * ChunkedFileSource with blocking reads: `copy` reads the chunk it needs
 * itself, and returns false only when that read failed (`load` then reports
 * the error).
 */
export class SyncFileSource implements TransferSource {
  readonly size: number;
  readonly #fd: number;
  readonly #chunkBytes: number;
  #chunk: Buffer | null = null;
  #chunkStart = 0;
  #closed = false;

  constructor(fd: number, size: number, chunkBytes: number) {
    this.#fd = fd;
    this.size = size;
    this.#chunkBytes = chunkBytes;
  }

  copy(target: Buffer, targetStart: number, start: number, end: number): boolean {
    if (end <= start) return true;
    let chunk = this.#chunk;
    if (chunk === null || start < this.#chunkStart || end > this.#chunkStart + chunk.length) {
      try {
        this.#read(start, end);
      } catch {
        return false;
      }
      chunk = this.#chunk!;
    }
    chunk.copy(target, targetStart, start - this.#chunkStart, end - this.#chunkStart);
    return true;
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
    if (this.#closed) throw new Error("file closed");
    const length = Math.min(this.size - start, Math.max(this.#chunkBytes, end - start));
    // A new chunk each time, as in ChunkedFileSource (nothing may point into the old one).
    const chunk = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.#fd, chunk, got, length - got, start + got);
      if (n === 0) throw new Error(`file shrank during the transfer (read ended at ${start + got})`);
      got += n;
    }
    this.#chunk = chunk;
    this.#chunkStart = start;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunk = null;
    closeSync(this.#fd);
  }
}
