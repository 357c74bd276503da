/**
 * A private copy-on-write layer over a read-only export. Writes go to a
 * sparse file of the export's size, at the same offsets; two bitmaps say,
 * per 4 KiB block, whether it lives in that file ("data") or reads as
 * zeroes ("zero", after WRITE_ZEROES or TRIM); any other block is read from
 * the base. The base file is never written.
 *
 * A layer that outlives its connection (held for a running machine, or
 * kept) has its bitmaps in a map file beside it (cow-map-file.ts), changed
 * in place before each write is answered: the data and the map of every
 * acknowledged write are in the kernel's page cache, so a server killed
 * with SIGKILL and started again gives the client back every byte it was
 * told was written. FLUSH (and FUA) makes the data, then the map, durable.
 *
 * Writes run one at a time: a write that covers part of a block reads the
 * rest of it first (read-modify-write), and two such writes in one block
 * must not interleave. Reads run freely beside them; proto.md gives no
 * order between requests in flight.
 */
import { open, unlink } from "node:fs/promises";
import type { NbdExtent } from "../../protocols/nbd/nbd-transmission.js";
import { NBD_STATE_HOLE, NBD_STATE_ZERO } from "../../protocols/nbd/nbd-constants.js";
import { BlockBitmap } from "./block-bitmap.js";
import { CowMapFile, type OpenedCowMap } from "./cow-map-file.js";
import { fdatasyncFd, preadFd, pwriteFd } from "../file-io/fd-promises.js";
import type { NbdExportHandle } from "./nbd-export-source.js";

export const COW_BLOCK_BYTES = 4096;

enum BlockState {
  Base = 0,
  Data = 1,
  Zero = 2,
}

type Reader = (buffer: Buffer, offset: number, length: number, position: number) => Promise<number>;

/** Reads exactly `length` bytes; past the end of a short file the rest reads as zeroes. */
async function readFully(read: Reader, buffer: Buffer, offset: number, length: number, position: number) {
  let done = 0;
  while (done < length) {
    const n = await read(buffer, offset + done, length - done, position + done);
    if (n === 0) {
      buffer.fill(0, offset + done, offset + length);
      return;
    }
    done += n;
  }
}

async function writeFully(fd: number, buffer: Buffer, offset: number, length: number, position: number) {
  let done = 0;
  while (done < length) done += await pwriteFd(fd, buffer, offset + done, length - done, position + done);
}

export interface CowOverlayOptions {
  /** The layer's data file. Its map is `<path>.map` when persistent. */
  readonly path: string;
  /**
   * The layer outlives this connection and this process (a machine's held
   * or kept layer): the file keeps its name, the map is written as it
   * changes, and an existing layer is reopened. Otherwise the file is
   * unlinked at once and the layer lives only as long as it is open.
   */
  readonly persistent: boolean;
}

export class CowOverlay {
  readonly size: number;
  readonly #base: NbdExportHandle;
  readonly #fd: number;
  readonly #close: () => Promise<void>;
  readonly #map: CowMapFile | undefined;
  readonly #data: BlockBitmap;
  readonly #zero: BlockBitmap;
  #writes: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    base: NbdExportHandle,
    fd: number,
    close: () => Promise<void>,
    map: CowMapFile | undefined,
    data: BlockBitmap,
    zero: BlockBitmap,
  ) {
    this.size = base.size;
    this.#base = base;
    this.#fd = fd;
    this.#close = close;
    this.#map = map;
    this.#data = data;
    this.#zero = zero;
  }

  /**
   * Opens (or, when persistent, reopens) the layer for `base`. A persistent
   * layer whose map is missing or does not match the export's size starts
   * empty.
   */
  static async open(base: NbdExportHandle, options: CowOverlayOptions): Promise<CowOverlay> {
    const blocks = Math.ceil(base.size / COW_BLOCK_BYTES);
    if (!options.persistent) {
      const file = await open(options.path, "w+");
      try {
        await file.truncate(base.size);
        // A discarded layer needs no name: unlinking now means nothing is left behind, even after a crash.
        await unlink(options.path);
      } catch (err) {
        await file.close();
        throw err;
      }
      return new CowOverlay(
        base,
        file.fd,
        () => file.close(),
        undefined,
        new BlockBitmap(blocks),
        new BlockBitmap(blocks),
      );
    }
    // The data file first: a map describes blocks of a file that exists.
    const existing = await open(options.path, "r+").catch(() => null);
    const file = existing ?? (await open(options.path, "w+"));
    let opened: OpenedCowMap;
    try {
      opened = await CowMapFile.open(`${options.path}.map`, base.size, COW_BLOCK_BYTES, existing !== null);
    } catch (err) {
      await file.close();
      throw err;
    }
    try {
      // A new map means no block of the old data file is valid: start it empty too.
      if (!opened.reused) await file.truncate(0);
      await file.truncate(base.size);
    } catch (err) {
      await opened.map.close().catch(() => {});
      await file.close();
      throw err;
    }
    return new CowOverlay(base, file.fd, () => file.close(), opened.map, opened.data, opened.zero);
  }

  #state(block: number): BlockState {
    if (this.#data.get(block)) return BlockState.Data;
    if (this.#zero.get(block)) return BlockState.Zero;
    return BlockState.Base;
  }

  /** Calls `each(state, start, end)` for runs of blocks in one state covering [position, end). */
  #runs(position: number, end: number, each: (state: BlockState, start: number, stop: number) => void): void {
    let p = position;
    while (p < end) {
      let block = Math.floor(p / COW_BLOCK_BYTES);
      const state = this.#state(block);
      let stop = (block + 1) * COW_BLOCK_BYTES;
      while (stop < end && this.#state(++block) === state) stop += COW_BLOCK_BYTES;
      stop = Math.min(stop, end);
      each(state, p, stop);
      p = stop;
    }
  }

  /** Fills `buffer[offset..offset+length)` with the export's bytes at `position`. */
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<void> {
    const reads: Promise<void>[] = [];
    this.#runs(position, position + length, (state, start, stop) => {
      const at = offset + (start - position);
      if (state === BlockState.Zero) buffer.fill(0, at, at + stop - start);
      else if (state === BlockState.Data)
        reads.push(readFully(this.#readLayer, buffer, at, stop - start, start));
      else reads.push(readFully(this.#base.read, buffer, at, stop - start, start));
    });
    await Promise.all(reads);
  }

  readonly #readLayer: Reader = (buffer, offset, length, position) =>
    preadFd(this.#fd, buffer, offset, length, position);

  write(data: Buffer, offset: number, length: number, position: number): Promise<void> {
    return this.#serial(() => this.#write(data, offset, length, position));
  }

  /** WRITE_ZEROES: whole blocks become "zero" without I/O unless `noHole` asks for them to be written. */
  writeZeroes(position: number, length: number, noHole: boolean): Promise<void> {
    return this.#serial(() => this.#zeroRange(position, length, noHole, true));
  }

  /** TRIM: whole blocks inside the range read as zeroes afterwards; partial blocks are left alone. */
  trim(position: number, length: number): Promise<void> {
    return this.#serial(() => this.#zeroRange(position, length, false, false));
  }

  /** base:allocation extents for [position, position+length). */
  extents(position: number, length: number, max: number): NbdExtent[] {
    const out: { length: number; flags: number }[] = [];
    this.#runs(position, position + length, (state, start, stop) => {
      const flags = state === BlockState.Zero ? NBD_STATE_HOLE | NBD_STATE_ZERO : 0;
      const last = out.at(-1);
      if (last && last.flags === flags) last.length += stop - start;
      else if (out.length < max) out.push({ length: stop - start, flags });
    });
    return out;
  }

  /** FLUSH: the layer's data, then its map, on stable storage. */
  flush(): Promise<void> {
    return this.#serial(() => this.#sync());
  }

  /** Waits for writes, makes a persistent layer durable, closes its files. Does not release the base. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writes.catch(() => {});
    try {
      if (this.#map) await this.#sync();
    } finally {
      try {
        await this.#map?.close();
      } finally {
        await this.#close();
      }
    }
  }

  async #sync(): Promise<void> {
    await fdatasyncFd(this.#fd);
    await this.#map?.sync();
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("copy-on-write layer is closed"));
    const run = this.#writes.then(op, op);
    this.#writes = run.catch(() => {});
    return run;
  }

  async #write(data: Buffer, offset: number, length: number, position: number): Promise<void> {
    if (length === 0) return;
    const first = Math.floor(position / COW_BLOCK_BYTES);
    const last = Math.floor((position + length - 1) / COW_BLOCK_BYTES);
    const start = first * COW_BLOCK_BYTES;
    const stop = Math.min((last + 1) * COW_BLOCK_BYTES, this.size);
    if (start === position && stop === position + length) {
      await writeFully(this.#fd, data, offset, length, position);
    } else {
      // Read-modify-write: the parts of the first and last block that the
      // write does not cover come from wherever those blocks live now.
      const whole = Buffer.allocUnsafe(stop - start);
      if (position > start) await this.read(whole, 0, Math.min(COW_BLOCK_BYTES, stop - start), start);
      const tail = last * COW_BLOCK_BYTES;
      if (position + length < stop) await this.read(whole, tail - start, stop - tail, tail);
      data.copy(whole, position - start, offset, offset + length);
      await writeFully(this.#fd, whole, 0, whole.length, start);
    }
    // "data" is set before "zero" is cleared: a map cut between the two
    // (data and zero both set) reads as data, the new bytes.
    // Rewriting blocks the layer holds already changes no map byte.
    if (!allSet(this.#data, first, last)) {
      this.#data.fill(first, last, true);
      await this.#map?.record("data", this.#data, first, last);
    }
    if (anySet(this.#zero, first, last)) {
      this.#zero.fill(first, last, false);
      await this.#map?.record("zero", this.#zero, first, last);
    }
  }

  async #zeroRange(position: number, length: number, noHole: boolean, partialToo: boolean): Promise<void> {
    if (length === 0) return;
    const end = position + length;
    // Whole blocks: from the first block boundary at or after `position` to
    // the last one at or before `end` (the export's end counts as one).
    const firstWhole = Math.ceil(position / COW_BLOCK_BYTES);
    const endWhole = end === this.size ? Math.ceil(end / COW_BLOCK_BYTES) : Math.floor(end / COW_BLOCK_BYTES);
    if (partialToo) {
      const headEnd = Math.min(end, firstWhole * COW_BLOCK_BYTES);
      if (position < headEnd) await this.#writeZeroBytes(position, headEnd - position);
      const tailStart = Math.max(position, endWhole * COW_BLOCK_BYTES);
      if (endWhole >= firstWhole && tailStart < end) await this.#writeZeroBytes(tailStart, end - tailStart);
    }
    if (endWhole <= firstWhole) return;
    if (noHole) {
      await this.#writeZeroBytes(
        firstWhole * COW_BLOCK_BYTES,
        Math.min(end, endWhole * COW_BLOCK_BYTES) - firstWhole * COW_BLOCK_BYTES,
      );
      return;
    }
    // "zero" is set before "data" is cleared: a map cut between the two
    // reads as data, the bytes from before this request.
    this.#zero.fill(firstWhole, endWhole - 1, true);
    await this.#map?.record("zero", this.#zero, firstWhole, endWhole - 1);
    this.#data.fill(firstWhole, endWhole - 1, false);
    await this.#map?.record("data", this.#data, firstWhole, endWhole - 1);
  }

  async #writeZeroBytes(position: number, length: number): Promise<void> {
    const chunk = Buffer.alloc(Math.min(length, 1 << 20));
    for (let p = position; p < position + length; p += chunk.length) {
      await this.#write(chunk, 0, Math.min(chunk.length, position + length - p), p);
    }
  }
}

function allSet(bitmap: BlockBitmap, first: number, last: number): boolean {
  for (let b = first; b <= last; b++) if (!bitmap.get(b)) return false;
  return true;
}

function anySet(bitmap: BlockBitmap, first: number, last: number): boolean {
  for (let b = first; b <= last; b++) if (bitmap.get(b)) return true;
  return false;
}
