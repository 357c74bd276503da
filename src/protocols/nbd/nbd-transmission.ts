/**
 * Pure codec for the NBD transmission phase (proto.md "Transmission"):
 * request headers from the client; simple replies and structured reply
 * chunks from the server. Writers that fill a caller's buffer in place let
 * the service put a reply header and its data in one allocation.
 */
import {
  NBD_REPLY_FLAG_DONE,
  NBD_REPLY_TYPE_BLOCK_STATUS,
  NBD_REPLY_TYPE_ERROR,
  NBD_REPLY_TYPE_NONE,
  NBD_REPLY_TYPE_OFFSET_DATA,
  NBD_REPLY_TYPE_OFFSET_HOLE,
  NBD_REQUEST_HEADER_BYTES,
  NBD_REQUEST_MAGIC,
  NBD_SIMPLE_REPLY_HEADER_BYTES,
  NBD_SIMPLE_REPLY_MAGIC,
  NBD_STRUCTURED_REPLY_HEADER_BYTES,
  NBD_STRUCTURED_REPLY_MAGIC,
} from "./nbd-constants.js";
import { NbdProtocolError } from "./nbd-protocol-error.js";

export interface NbdRequestHeader {
  readonly flags: number;
  readonly type: number;
  /** Opaque 64-bit value echoed in every reply to this request. */
  readonly handle: bigint;
  readonly offset: bigint;
  readonly length: number;
}

export interface NbdRequest extends NbdRequestHeader {
  /** The data of NBD_CMD_WRITE; absent for every other command. */
  readonly payload?: Buffer | undefined;
}

/** One block status descriptor: a run of `length` bytes with `flags`. */
export interface NbdExtent {
  readonly length: number;
  readonly flags: number;
}

/** Decodes the 28-byte request header at `pos`; a wrong magic is a hard disconnect. */
export function decodeRequestHeader(buf: Buffer, pos = 0): NbdRequestHeader {
  if (buf.length - pos < NBD_REQUEST_HEADER_BYTES) {
    throw new NbdProtocolError(`request header needs 28 bytes, got ${buf.length - pos}`);
  }
  const magic = buf.readUInt32BE(pos);
  if (magic !== NBD_REQUEST_MAGIC) {
    throw new NbdProtocolError(`request magic 0x${magic.toString(16).padStart(8, "0")}, expected 0x25609513`);
  }
  return {
    flags: buf.readUInt16BE(pos + 4),
    type: buf.readUInt16BE(pos + 6),
    handle: buf.readBigUInt64BE(pos + 8),
    offset: buf.readBigUInt64BE(pos + 16),
    length: buf.readUInt32BE(pos + 24),
  };
}

/** C: a request header, followed by `payload` for NBD_CMD_WRITE. For tests and clients. */
export function encodeRequest(req: NbdRequest): Buffer {
  const payload = req.payload ?? Buffer.alloc(0);
  const buf = Buffer.allocUnsafe(NBD_REQUEST_HEADER_BYTES + payload.length);
  buf.writeUInt32BE(NBD_REQUEST_MAGIC, 0);
  buf.writeUInt16BE(req.flags, 4);
  buf.writeUInt16BE(req.type, 6);
  buf.writeBigUInt64BE(req.handle, 8);
  buf.writeBigUInt64BE(req.offset, 16);
  buf.writeUInt32BE(req.length, 24);
  payload.copy(buf, NBD_REQUEST_HEADER_BYTES);
  return buf;
}

/** Writes a simple reply header (16 bytes) at `pos`. */
export function writeSimpleReplyHeader(buf: Buffer, pos: number, error: number, handle: bigint): void {
  buf.writeUInt32BE(NBD_SIMPLE_REPLY_MAGIC, pos);
  buf.writeUInt32BE(error, pos + 4);
  buf.writeBigUInt64BE(handle, pos + 8);
}

/** A simple reply with no data: the answer to every command but a successful READ. */
export function encodeSimpleReply(error: number, handle: bigint): Buffer {
  const buf = Buffer.allocUnsafe(NBD_SIMPLE_REPLY_HEADER_BYTES);
  writeSimpleReplyHeader(buf, 0, error, handle);
  return buf;
}

/** Writes a structured reply chunk header (20 bytes) at `pos`. */
export function writeStructuredReplyHeader(
  buf: Buffer,
  pos: number,
  flags: number,
  type: number,
  handle: bigint,
  length: number,
): void {
  buf.writeUInt32BE(NBD_STRUCTURED_REPLY_MAGIC, pos);
  buf.writeUInt16BE(flags, pos + 4);
  buf.writeUInt16BE(type, pos + 6);
  buf.writeBigUInt64BE(handle, pos + 8);
  buf.writeUInt32BE(length, pos + 16);
}

/** Bytes before the data of an NBD_REPLY_TYPE_OFFSET_DATA chunk: header plus 64-bit offset. */
export const NBD_OFFSET_DATA_PREFIX_BYTES = NBD_STRUCTURED_REPLY_HEADER_BYTES + 8;

/**
 * Writes the 28 bytes that precede `dataLength` bytes of NBD_REPLY_TYPE_OFFSET_DATA
 * at `pos`; the caller puts the data right after them.
 */
export function writeOffsetDataPrefix(
  buf: Buffer,
  pos: number,
  handle: bigint,
  offset: number,
  dataLength: number,
  done: boolean,
): void {
  writeStructuredReplyHeader(
    buf,
    pos,
    done ? NBD_REPLY_FLAG_DONE : 0,
    NBD_REPLY_TYPE_OFFSET_DATA,
    handle,
    8 + dataLength,
  );
  buf.writeBigUInt64BE(BigInt(offset), pos + NBD_STRUCTURED_REPLY_HEADER_BYTES);
}

/** NBD_REPLY_TYPE_NONE with NBD_REPLY_FLAG_DONE: "the request succeeded". */
export function encodeStructuredNone(handle: bigint): Buffer {
  const buf = Buffer.allocUnsafe(NBD_STRUCTURED_REPLY_HEADER_BYTES);
  writeStructuredReplyHeader(buf, 0, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, handle, 0);
  return buf;
}

/** NBD_REPLY_TYPE_OFFSET_HOLE: `size` bytes at `offset` read as zeroes (length exactly 12). */
export function encodeOffsetHole(handle: bigint, offset: number, size: number, done: boolean): Buffer {
  const buf = Buffer.allocUnsafe(NBD_STRUCTURED_REPLY_HEADER_BYTES + 12);
  writeStructuredReplyHeader(buf, 0, done ? NBD_REPLY_FLAG_DONE : 0, NBD_REPLY_TYPE_OFFSET_HOLE, handle, 12);
  buf.writeBigUInt64BE(BigInt(offset), 20);
  buf.writeUInt32BE(size, 28);
  return buf;
}

/** NBD_REPLY_TYPE_OFFSET_DATA as one buffer (for small replies and tests). */
export function encodeOffsetData(handle: bigint, offset: number, data: Buffer, done: boolean): Buffer {
  const buf = Buffer.allocUnsafe(NBD_OFFSET_DATA_PREFIX_BYTES + data.length);
  writeOffsetDataPrefix(buf, 0, handle, offset, data.length, done);
  data.copy(buf, NBD_OFFSET_DATA_PREFIX_BYTES);
  return buf;
}

/**
 * NBD_REPLY_TYPE_ERROR, always final here: 32-bit error, 16-bit message
 * length, message (at most 4096 bytes).
 */
export function encodeStructuredError(handle: bigint, error: number, message = ""): Buffer {
  let msg = Buffer.from(message, "utf8");
  if (msg.length > 4096) msg = msg.subarray(0, 4096);
  const buf = Buffer.allocUnsafe(NBD_STRUCTURED_REPLY_HEADER_BYTES + 6 + msg.length);
  writeStructuredReplyHeader(buf, 0, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR, handle, 6 + msg.length);
  buf.writeUInt32BE(error, 20);
  buf.writeUInt16BE(msg.length, 24);
  msg.copy(buf, 26);
  return buf;
}

/** NBD_REPLY_TYPE_BLOCK_STATUS: context id then (length, flags) descriptors; at least one. */
export function encodeBlockStatus(
  handle: bigint,
  contextId: number,
  extents: readonly NbdExtent[],
  done: boolean,
): Buffer {
  if (extents.length === 0) throw new RangeError("a block status chunk needs at least one extent");
  const length = 4 + 8 * extents.length;
  const buf = Buffer.allocUnsafe(NBD_STRUCTURED_REPLY_HEADER_BYTES + length);
  writeStructuredReplyHeader(
    buf,
    0,
    done ? NBD_REPLY_FLAG_DONE : 0,
    NBD_REPLY_TYPE_BLOCK_STATUS,
    handle,
    length,
  );
  buf.writeUInt32BE(contextId, 20);
  extents.forEach((e, i) => {
    if (e.length <= 0 || e.length > 0xffffffff)
      throw new RangeError(`extent length ${e.length} out of range`);
    buf.writeUInt32BE(e.length, 24 + 8 * i);
    buf.writeUInt32BE(e.flags, 28 + 8 * i);
  });
  return buf;
}
