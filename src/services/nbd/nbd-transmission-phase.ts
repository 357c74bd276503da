/**
 * The transmission phase of one NBD connection (proto.md "Transmission"):
 * each request is checked against the attached export and what the
 * handshake settled, run, and answered with a simple reply, or with
 * structured reply chunks once NBD_OPT_STRUCTURED_REPLY was agreed.
 *
 * Requests run concurrently and each is answered as it completes, so
 * pipelined requests can be answered out of order (proto.md allows it;
 * every reply carries its request's handle). How many run at once is the
 * connection's flow control, not this phase's; `footprint` tells it what
 * each request holds.
 *
 * A READ larger than READ_SLICE_BYTES is read and sent a slice at a time,
 * each slice only once the socket has room, so a client that asks for
 * 32 MiB and does not read the reply pins one slice, not 32 MiB.
 */
import type { Logger } from "../../logging/logger.js";
import {
  NBD_CMD_BLOCK_STATUS,
  NBD_CMD_CACHE,
  NBD_CMD_DISC,
  NBD_CMD_FLAG_DF,
  NBD_CMD_FLAG_FUA,
  NBD_CMD_FLAG_NO_HOLE,
  NBD_CMD_FLAG_REQ_ONE,
  NBD_CMD_FLUSH,
  NBD_CMD_READ,
  NBD_CMD_TRIM,
  NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES,
  NBD_EINVAL,
  NBD_ENOSPC,
  NBD_EPERM,
  NBD_MAX_PAYLOAD_BYTES,
  NBD_SIMPLE_REPLY_HEADER_BYTES,
  NBD_STATE_HOLE,
  NBD_STATE_ZERO,
  commandNames,
} from "../../protocols/nbd/nbd-constants.js";
import {
  encodeBlockStatus,
  encodeOffsetHole,
  encodeSimpleReply,
  encodeStructuredError,
  encodeStructuredNone,
  NBD_OFFSET_DATA_PREFIX_BYTES,
  type NbdRequest,
  writeOffsetDataPrefix,
  writeSimpleReplyHeader,
} from "../../protocols/nbd/nbd-transmission.js";
import type { AttachedExport } from "./attached-export.js";
import type { NbdClientInfo } from "./nbd-export-source.js";
import type { ReplyBufferPool } from "../file-io/reply-buffer-pool.js";
import { errnoOf, RequestError } from "./request-error.js";
import { isAllZero } from "./zero-page.js";

/** What the transmission phase asks of its connection. */
export interface NbdTransmissionLink {
  /** Queues reply bytes; `written` runs once the socket is done with `buf` (or has gone). */
  write(buf: Buffer, written?: () => void): void;
  /** Stop taking requests; close once those in flight are answered. */
  end(reason: string): void;
  /** Hard disconnect: a reply was cut short and the stream cannot go on. */
  abort(reason: string): void;
  /** Resolves once the socket holds less than the connection's reply bound (or has closed). */
  room(): Promise<void>;
  /** The socket has closed: a reply made now has nowhere to go. */
  closed(): boolean;
}

/** What one request holds while it runs, for the connection's flow control. */
export interface NbdRequestFootprint {
  /** Reply and payload bytes in memory at once. */
  readonly bytes: number;
  /**
   * Nothing else may run beside it: a simple reply sent in slices is one
   * reply on the wire, and another reply written between its slices would
   * corrupt the stream.
   */
  readonly alone: boolean;
}

/**
 * Reads up to this size are read whole and sent in one write. It is above
 * the largest request the Linux NBD client sends by default (1.25 MiB,
 * max_sectors_kb) and qemu's 2 MiB, so the usual clients never run a read
 * in slices.
 */
export const READ_SLICE_BYTES = 2 * 1024 * 1024;

export interface NbdTransmissionPhaseDeps {
  readonly attached: AttachedExport;
  /** NBD_OPT_STRUCTURED_REPLY was agreed. */
  readonly structured: boolean;
  /** The id the handshake gave base:allocation for this export; undefined: BLOCK_STATUS is refused. */
  readonly blockStatusContext: number | undefined;
  readonly client: NbdClientInfo;
  readonly log: Logger;
  /** Large reply buffers, shared by the service's connections. */
  readonly buffers: ReplyBufferPool;
  readonly link: NbdTransmissionLink;
}

/** What nbd.disconnect reports about a connection's requests. */
export interface NbdTransmissionStats {
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly requests: number;
}

/** Largest extent length in one block status descriptor: 32 bits, rounded down to a multiple of 256. */
const MAX_EXTENT = 0xffffff00;

export class NbdTransmissionPhase {
  readonly #d: NbdTransmissionPhaseDeps;
  readonly #link: NbdTransmissionLink;
  readonly #structured: boolean;
  #bytesRead = 0;
  #bytesWritten = 0;
  #requests = 0;

  constructor(deps: NbdTransmissionPhaseDeps) {
    this.#d = deps;
    this.#link = deps.link;
    this.#structured = deps.structured;
  }

  get attached(): AttachedExport {
    return this.#d.attached;
  }

  get stats(): NbdTransmissionStats {
    return { bytesRead: this.#bytesRead, bytesWritten: this.#bytesWritten, requests: this.#requests };
  }

  /** What `req` holds while it runs. */
  footprint(req: NbdRequest): NbdRequestFootprint {
    if (req.type === NBD_CMD_WRITE) return { bytes: req.length, alone: false };
    if (req.type !== NBD_CMD_READ) return { bytes: 0, alone: false };
    const sliced = req.length > READ_SLICE_BYTES;
    return { bytes: Math.min(req.length, READ_SLICE_BYTES), alone: sliced && !this.#structured };
  }

  /**
   * Starts one request. Resolves once its reply (an error reply included)
   * is queued; never rejects. Undefined when nothing runs: NBD_CMD_DISC, or
   * a payload too large to serve; the connection is ending then.
   */
  start(req: NbdRequest): Promise<void> | undefined {
    this.#requests++;
    if (req.type === NBD_CMD_DISC) {
      // Finish what is in flight, then close (proto.md "NBD_CMD_DISC"); no reply.
      this.#link.end("client disconnected (NBD_CMD_DISC)");
      return undefined;
    }
    if ((req.type === NBD_CMD_READ || req.type === NBD_CMD_WRITE) && req.length > NBD_MAX_PAYLOAD_BYTES) {
      // A payload this large is treated as a denial of service: answer, then close.
      this.#replyError(
        req.handle,
        NBD_EINVAL,
        `request of ${req.length} bytes exceeds ${NBD_MAX_PAYLOAD_BYTES}`,
      );
      this.#link.end(`${commandNames[req.type]} of ${req.length} bytes exceeds the 32 MiB limit`);
      return undefined;
    }
    return this.#serve(req).then(undefined, (err: unknown) => {
      const errno = errnoOf(err);
      if (!(err instanceof RequestError)) {
        this.#d.log.warn(
          { ip: this.#d.client.address, command: commandNames[req.type], err: (err as Error).message },
          "nbd: request failed",
        );
      }
      this.#replyError(req.handle, errno, (err as Error).message);
    });
  }

  async #serve(req: NbdRequest): Promise<void> {
    const a = this.#d.attached;
    const { type, flags, length } = req;
    // Offsets beyond 2^53 are past any export: the range check below refuses them.
    const offset = Number(req.offset);
    const inRange = offset + length <= a.handle.size;
    const checkFlags = (allowed: number) => {
      if ((flags & ~(allowed | NBD_CMD_FLAG_FUA)) !== 0) {
        throw new RequestError(
          NBD_EINVAL,
          `flags 0x${flags.toString(16)} not valid for ${commandNames[type]}`,
        );
      }
    };
    const outOfRange = (errno: number) =>
      new RequestError(
        errno,
        `offset ${req.offset} + length ${length} is past the export's end (${a.handle.size})`,
      );
    switch (type) {
      case NBD_CMD_READ:
        checkFlags(this.#structured ? NBD_CMD_FLAG_DF : 0);
        if (!inRange) throw outOfRange(NBD_EINVAL);
        await this.#read(req.handle, offset, length);
        return;
      case NBD_CMD_WRITE: {
        checkFlags(0);
        if (!a.writable) throw new RequestError(NBD_EPERM, "the export is read-only");
        if (!inRange) throw outOfRange(NBD_ENOSPC);
        await a.write(req.payload!, offset);
        this.#bytesWritten += length;
        if (flags & NBD_CMD_FLAG_FUA) await a.flush();
        this.#replyOk(req.handle);
        return;
      }
      case NBD_CMD_FLUSH:
        checkFlags(0);
        await a.flush();
        this.#replyOk(req.handle);
        return;
      case NBD_CMD_TRIM:
        checkFlags(0);
        if (!a.writable) throw new RequestError(NBD_EPERM, "the export is read-only");
        if (!inRange) throw outOfRange(NBD_EINVAL);
        await a.trim(offset, length);
        if (flags & NBD_CMD_FLAG_FUA) await a.flush();
        this.#replyOk(req.handle);
        return;
      case NBD_CMD_WRITE_ZEROES:
        checkFlags(NBD_CMD_FLAG_NO_HOLE);
        if (!a.writable) throw new RequestError(NBD_EPERM, "the export is read-only");
        if (!inRange) throw outOfRange(NBD_ENOSPC);
        await a.writeZeroes(offset, length, (flags & NBD_CMD_FLAG_NO_HOLE) !== 0);
        if (flags & NBD_CMD_FLAG_FUA) await a.flush();
        this.#replyOk(req.handle);
        return;
      case NBD_CMD_CACHE:
        // A hint only; the page cache does the work.
        checkFlags(0);
        if (!inRange) throw outOfRange(NBD_EINVAL);
        this.#replyOk(req.handle);
        return;
      case NBD_CMD_BLOCK_STATUS: {
        checkFlags(NBD_CMD_FLAG_REQ_ONE);
        const context = this.#d.blockStatusContext;
        if (context === undefined) throw new RequestError(NBD_EINVAL, "no metadata context was negotiated");
        if (!inRange) throw outOfRange(NBD_EINVAL);
        this.#replyBlockStatus(context, req.handle, offset, length, (flags & NBD_CMD_FLAG_REQ_ONE) !== 0);
        return;
      }
      default:
        throw new RequestError(NBD_EINVAL, `unknown command ${type}`);
    }
  }

  async #read(handle: bigint, offset: number, length: number): Promise<void> {
    if (length > READ_SLICE_BYTES) return this.#readInSlices(handle, offset, length);
    // Header and data in one buffer: one allocation, one socket write.
    const prefix = this.#structured ? NBD_OFFSET_DATA_PREFIX_BYTES : NBD_SIMPLE_REPLY_HEADER_BYTES;
    const pool = this.#d.buffers;
    const buf = pool.get(prefix + length);
    const giveBack = () => pool.put(buf);
    try {
      await this.#d.attached.read(buf, prefix, length, offset);
    } catch (err) {
      giveBack();
      throw err;
    }
    if (this.#link.closed()) return giveBack();
    this.#bytesRead += length;
    if (!this.#structured) {
      writeSimpleReplyHeader(buf, 0, 0, handle);
      this.#link.write(buf, giveBack);
    } else if (length === 0) {
      giveBack();
      this.#replyOk(handle, true);
    } else if (isAllZero(buf, prefix, length)) {
      // All zeroes: a 32-byte hole chunk instead of the data.
      giveBack();
      this.#link.write(encodeOffsetHole(handle, offset, length, true));
    } else {
      writeOffsetDataPrefix(buf, 0, handle, offset, length, true);
      this.#link.write(buf, giveBack);
    }
  }

  /**
   * A large READ, one slice in memory at a time: each slice is read once the
   * socket has room and written before the next is read. With structured
   * replies every slice is its own data (or hole) chunk, the last one DONE
   * (proto.md lets a server split a READ into chunks); with simple replies
   * the slices follow one header, and the connection runs nothing else
   * meanwhile (`footprint().alone`).
   */
  async #readInSlices(handle: bigint, offset: number, length: number): Promise<void> {
    const pool = this.#d.buffers;
    for (let done = 0; done < length; ) {
      await this.#link.room();
      if (this.#link.closed()) return;
      const n = Math.min(READ_SLICE_BYTES, length - done);
      const first = done === 0;
      const last = done + n === length;
      let prefix = 0;
      if (this.#structured) prefix = NBD_OFFSET_DATA_PREFIX_BYTES;
      else if (first) prefix = NBD_SIMPLE_REPLY_HEADER_BYTES;
      const buf = pool.get(prefix + n);
      const giveBack = () => pool.put(buf);
      try {
        await this.#d.attached.read(buf, prefix, n, offset + done);
      } catch (err) {
        giveBack();
        // Nothing sent yet, or structured replies: an error reply (chunk) still fits.
        if (first || this.#structured) throw err;
        // A simple reply's header promised every byte: the stream cannot go on.
        this.#link.abort(`READ failed after ${done} of ${length} bytes were sent: ${(err as Error).message}`);
        return;
      }
      if (this.#link.closed()) return giveBack();
      this.#bytesRead += n;
      if (!this.#structured) {
        if (first) writeSimpleReplyHeader(buf, 0, 0, handle);
        this.#link.write(buf, giveBack);
      } else if (isAllZero(buf, prefix, n)) {
        giveBack();
        this.#link.write(encodeOffsetHole(handle, offset + done, n, last));
      } else {
        writeOffsetDataPrefix(buf, 0, handle, offset + done, n, last);
        this.#link.write(buf, giveBack);
      }
      done += n;
    }
  }

  #replyBlockStatus(context: number, handle: bigint, offset: number, length: number, reqOne: boolean): void {
    // Extent lengths are 32-bit on the wire: clip each one.
    const extents = this.#d.attached.extents(offset, length, reqOne).map((e) => ({
      length: Math.min(e.length, MAX_EXTENT),
      flags: e.flags & (NBD_STATE_HOLE | NBD_STATE_ZERO),
    }));
    this.#link.write(encodeBlockStatus(handle, context, extents, true));
  }

  #replyOk(handle: bigint, read = false): void {
    // With structured replies a simple reply is still fine for anything but
    // READ when it carries no data (proto.md "Simple reply message").
    if (read && this.#structured) {
      this.#link.write(encodeStructuredNone(handle));
      return;
    }
    this.#link.write(encodeSimpleReply(0, handle));
  }

  #replyError(handle: bigint, errno: number, message: string): void {
    if (this.#structured) this.#link.write(encodeStructuredError(handle, errno, message));
    else this.#link.write(encodeSimpleReply(errno, handle));
  }
}
