/**
 * The on-disk map of a copy-on-write layer that outlives a connection (held
 * for a running machine, or kept with `nbd.cow_keep`): which blocks live in
 * the layer's data file and which read as zeroes.
 *
 * Layout, big-endian: "BFCOWMAP", the block size (u32), the export's size
 * (u64), then the data bitmap and the zero bitmap (one bit per block each).
 *
 * Changed bytes are written in place with pwrite before the NBD write they
 * record is answered. A server killed with SIGKILL therefore loses no
 * acknowledged write: the kernel's page cache holds both the data and its
 * map, and a server started again reads them back. Power loss is what
 * NBD_CMD_FLUSH is for (proto.md: only flushed writes must survive it):
 * `sync()` makes the map durable after the data.
 */
import { closeFd, fdatasyncFd, openFd, preadFd, pwriteFd } from "../file-io/fd-promises.js";
import { BlockBitmap } from "./block-bitmap.js";

const MAGIC = Buffer.from("BFCOWMAP");
const HEADER_BYTES = 8 + 4 + 8;

export interface OpenedCowMap {
  readonly map: CowMapFile;
  readonly data: BlockBitmap;
  readonly zero: BlockBitmap;
  /** The map on disk matched this export and was loaded; false: a new, empty map was written. */
  readonly reused: boolean;
}

export class CowMapFile {
  readonly path: string;
  readonly #fd: number;
  readonly #bitmapBytes: number;
  #closed = false;

  private constructor(path: string, fd: number, bitmapBytes: number) {
    this.path = path;
    this.#fd = fd;
    this.#bitmapBytes = bitmapBytes;
  }

  /**
   * Opens the map at `path` for an export of `size` bytes in blocks of
   * `blockBytes`. With `reuse`, a map on disk written for this size and
   * block size is loaded; anything else (none, a short file, another size)
   * is replaced by an empty map.
   */
  static async open(path: string, size: number, blockBytes: number, reuse: boolean): Promise<OpenedCowMap> {
    const blocks = Math.ceil(size / blockBytes);
    const bytes = Math.ceil(blocks / 8);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt32BE(blockBytes, 8);
    header.writeBigUInt64BE(BigInt(size), 12);
    if (reuse) {
      const fd = await openFd(path, "r+").catch(() => null);
      if (fd !== null) {
        const saved = Buffer.alloc(HEADER_BYTES + 2 * bytes);
        let got = 0;
        try {
          for (let n = -1; n !== 0 && got < saved.length; got += n)
            n = await preadFd(fd, saved, got, saved.length - got, got);
        } catch (err) {
          await closeFd(fd).catch(() => {});
          throw err;
        }
        if (got === saved.length && saved.subarray(0, HEADER_BYTES).equals(header)) {
          const data = new BlockBitmap(
            blocks,
            new Uint8Array(saved.subarray(HEADER_BYTES, HEADER_BYTES + bytes)),
          );
          const zero = new BlockBitmap(blocks, new Uint8Array(saved.subarray(HEADER_BYTES + bytes)));
          return { map: new CowMapFile(path, fd, bytes), data, zero, reused: true };
        }
        await closeFd(fd);
      }
    }
    const fd = await openFd(path, "w+");
    try {
      const empty = Buffer.alloc(HEADER_BYTES + 2 * bytes);
      header.copy(empty, 0);
      await writeFully(fd, empty, 0);
    } catch (err) {
      await closeFd(fd).catch(() => {});
      throw err;
    }
    return {
      map: new CowMapFile(path, fd, bytes),
      data: new BlockBitmap(blocks),
      zero: new BlockBitmap(blocks),
      reused: false,
    };
  }

  /** Writes the bytes of `bitmap` (the data or the zero map) that hold blocks first..last. */
  async record(which: "data" | "zero", bitmap: BlockBitmap, first: number, last: number): Promise<void> {
    const from = first >>> 3;
    const to = (last >>> 3) + 1;
    const at = HEADER_BYTES + (which === "zero" ? this.#bitmapBytes : 0) + from;
    await writeFully(this.#fd, Buffer.from(bitmap.bits.buffer, bitmap.bits.byteOffset + from, to - from), at);
  }

  /** The map on stable storage (after the data it describes). */
  sync(): Promise<void> {
    return fdatasyncFd(this.#fd);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeFd(this.#fd);
  }
}

async function writeFully(fd: number, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length)
    done += await pwriteFd(fd, buffer, done, buffer.length - done, position + done);
}
