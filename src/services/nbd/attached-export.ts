/**
 * The export a connection chose at the end of its handshake, as the
 * transmission phase uses it: one set of block operations whether writes go
 * to a copy-on-write layer or to the file itself. Attaching is where a
 * copy-on-write layer is bound to the connection; the connection holds the
 * attached export until it closes, then releases it (the layer first, then
 * the file).
 */
import {
  NBD_EIO,
  NBD_FLAG_CAN_MULTI_CONN,
  NBD_FLAG_HAS_FLAGS,
  NBD_FLAG_READ_ONLY,
  NBD_FLAG_SEND_CACHE,
  NBD_FLAG_SEND_DF,
  NBD_FLAG_SEND_FLUSH,
  NBD_FLAG_SEND_FUA,
  NBD_FLAG_SEND_TRIM,
  NBD_FLAG_SEND_WRITE_ZEROES,
} from "../../protocols/nbd/nbd-constants.js";
import type { NbdExtent } from "../../protocols/nbd/nbd-transmission.js";
import type { CowLayers, CowLease } from "./cow-layers.js";
import type { CowOverlay } from "./cow-overlay.js";
import type { NbdExportHandle } from "./nbd-export-source.js";
import { RequestError } from "./request-error.js";
import { ZERO_PAGE } from "./zero-page.js";

/** Extents in one block status reply without NBD_CMD_FLAG_REQ_ONE. */
const MAX_EXTENTS = 64;

export class AttachedExport {
  readonly handle: NbdExportHandle;
  /** The transmission flags the client was sent for this export. */
  readonly flags: number;
  readonly writable: boolean;
  readonly #overlay: CowOverlay | undefined;
  readonly #lease: CowLease | undefined;

  private constructor(handle: NbdExportHandle, lease: CowLease | undefined, flags: number) {
    this.handle = handle;
    this.#lease = lease;
    this.#overlay = lease?.overlay;
    this.flags = flags;
    this.writable = (flags & NBD_FLAG_READ_ONLY) === 0;
  }

  /** Transmission flags for this export (the same for NBD_OPT_INFO and the GO after it). */
  static flagsFor(handle: NbdExportHandle, structured: boolean): number {
    let flags = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_CACHE;
    if (structured) flags |= NBD_FLAG_SEND_DF;
    const cow = handle.cow !== undefined;
    const writable = cow || (!handle.readOnly && handle.write !== undefined);
    if (!writable) {
      // No cache and nothing changes: every connection sees the same bytes.
      flags |= NBD_FLAG_READ_ONLY | NBD_FLAG_CAN_MULTI_CONN;
    } else {
      flags |= NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES;
      // A private layer per connection differs between connections; a
      // machine's layer (held or kept, shared by its connections) or the
      // file itself does not.
      if (!cow || handle.cow?.keepKey !== undefined || handle.cow?.holdKey !== undefined)
        flags |= NBD_FLAG_CAN_MULTI_CONN;
    }
    return flags;
  }

  /**
   * Attaches `handle`, over a copy-on-write layer when the source asked for
   * one. From here on `release()` releases the handle; if the layer cannot
   * be made, the handle is released already and this throws.
   */
  static async attach(handle: NbdExportHandle, cow: CowLayers, structured: boolean): Promise<AttachedExport> {
    let lease: CowLease | undefined;
    if (handle.cow !== undefined) lease = await cow.acquire(handle);
    return new AttachedExport(handle, lease, AttachedExport.flagsFor(handle, structured));
  }

  /** Writes go to a copy-on-write layer. */
  get cow(): boolean {
    return this.#overlay !== undefined;
  }

  /** Fills buf[at, at+length) with the export's bytes at `offset`. */
  async read(buf: Buffer, at: number, length: number, offset: number): Promise<void> {
    if (this.#overlay) {
      await this.#overlay.read(buf, at, length, offset);
      return;
    }
    let done = 0;
    while (done < length) {
      const n = await this.handle.read(buf, at + done, length - done, offset + done);
      if (n === 0) throw new RequestError(NBD_EIO, `the export's file ends before ${offset + done}`);
      done += n;
    }
  }

  async write(payload: Buffer, offset: number): Promise<void> {
    if (this.#overlay) await this.#overlay.write(payload, 0, payload.length, offset);
    else await this.#writeFile(payload, offset);
  }

  async trim(offset: number, length: number): Promise<void> {
    // A plain writable file ignores TRIM: proto.md lets the server discard nothing.
    if (this.#overlay) await this.#overlay.trim(offset, length);
  }

  async writeZeroes(offset: number, length: number, noHole: boolean): Promise<void> {
    if (this.#overlay) {
      await this.#overlay.writeZeroes(offset, length, noHole);
      return;
    }
    for (let p = offset; p < offset + length; p += ZERO_PAGE.length) {
      await this.#writeFile(ZERO_PAGE.subarray(0, Math.min(ZERO_PAGE.length, offset + length - p)), p);
    }
  }

  async flush(): Promise<void> {
    if (this.#overlay) await this.#overlay.flush();
    else await this.handle.flush?.();
  }

  /**
   * base:allocation extents for [offset, offset+length): one with
   * `reqOne`, at most 64 otherwise. Lengths may exceed 32 bits; the reply
   * clips them.
   */
  extents(offset: number, length: number, reqOne: boolean): NbdExtent[] {
    if (this.#overlay) {
      const extents = this.#overlay.extents(offset, Math.max(length, 1), reqOne ? 1 : MAX_EXTENTS);
      return reqOne ? [{ length: Math.min(extents[0]!.length, length), flags: extents[0]!.flags }] : extents;
    }
    // A plain file's holes cannot be found from Node (no SEEK_DATA), and
    // status 0 ("allocated or unknown") is always correct. Without REQ_ONE
    // the one extent may reach past the request (proto.md allows it), so a
    // client learns the whole export in one round trip.
    const span = reqOne ? length : this.handle.size - offset;
    return [{ length: Math.max(span, 1), flags: 0 }];
  }

  /** The connection is done: close the copy-on-write layer (if any), then release the file. */
  release(): Promise<void> {
    return this.#lease ? this.#lease.release() : this.handle.release();
  }

  async #writeFile(payload: Buffer, offset: number): Promise<void> {
    let done = 0;
    while (done < payload.length) {
      done += await this.handle.write!(payload, done, payload.length - done, offset + done);
    }
  }
}
