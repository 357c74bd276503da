/**
 * Pure codec for the fixed-newstyle NBD handshake (proto.md "Handshake" and
 * "Option types"): the server's greeting and option replies, the client's
 * options. No sockets; whole messages in, whole messages out. Every length
 * is checked before it is read.
 */
import {
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_INFO_BLOCK_SIZE,
  type NBD_INFO_DESCRIPTION,
  NBD_INFO_EXPORT,
  type NBD_INFO_NAME,
  NBD_INIT_MAGIC,
  NBD_MAX_STRING_BYTES,
  NBD_OPT_ABORT,
  NBD_OPT_EXPORT_NAME,
  NBD_OPT_GO,
  NBD_OPT_INFO,
  NBD_OPT_LIST,
  NBD_OPT_LIST_META_CONTEXT,
  NBD_OPT_SET_META_CONTEXT,
  NBD_OPT_STRUCTURED_REPLY,
  NBD_OPTION_HEADER_BYTES,
  NBD_OPTION_REPLY_HEADER_BYTES,
  NBD_OPTS_MAGIC,
  NBD_REP_ACK,
  NBD_REP_INFO,
  NBD_REP_MAGIC,
  NBD_REP_META_CONTEXT,
  NBD_REP_SERVER,
} from "./nbd-constants.js";
import { NbdOptionError, NbdProtocolError } from "./nbd-protocol-error.js";

/** A client option, told apart by `type`. */
export type NbdOption =
  | { readonly type: "export-name"; readonly name: string }
  | { readonly type: "abort" }
  | { readonly type: "list" }
  | { readonly type: "structured-reply" }
  | {
      readonly type: "info" | "go";
      readonly name: string;
      /** NBD_INFO_* codes the client asked for, in its order. */
      readonly requests: readonly number[];
    }
  | {
      readonly type: "list-meta-context" | "set-meta-context";
      readonly exportName: string;
      readonly queries: readonly string[];
    }
  /** Any other option, STARTTLS included: answered NBD_REP_ERR_UNSUP. */
  | { readonly type: "unsupported"; readonly option: number };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A proto.md string: UTF-8, no NUL, at most 4096 bytes. `what` names the
 * field in the error message.
 */
function decodeString(bytes: Buffer, what: string): string {
  if (bytes.length > NBD_MAX_STRING_BYTES) {
    throw new NbdOptionError(`${what} is ${bytes.length} bytes, longer than the 4096 allowed`);
  }
  if (bytes.includes(0)) throw new NbdOptionError(`${what} contains a NUL byte`);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new NbdOptionError(`${what} is not valid UTF-8`);
  }
}

/** Reads length-prefixed fields of one option's data, checking every length first. */
class OptionDataReader {
  #pos = 0;
  readonly #buf: Buffer;
  readonly #option: string;

  constructor(buf: Buffer, option: string) {
    this.#buf = buf;
    this.#option = option;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #need(n: number, what: string): void {
    if (this.remaining < n) {
      throw new NbdOptionError(
        `${this.#option}: ${what} needs ${n} bytes at offset ${this.#pos}, only ${this.remaining} left`,
      );
    }
  }

  uint16(what: string): number {
    this.#need(2, what);
    const v = this.#buf.readUInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }

  uint32(what: string): number {
    this.#need(4, what);
    const v = this.#buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }

  string(length: number, what: string): string {
    this.#need(length, what);
    const s = decodeString(this.#buf.subarray(this.#pos, this.#pos + length), `${this.#option}: ${what}`);
    this.#pos += length;
    return s;
  }

  /** A 32-bit length then that many bytes of string. */
  lengthPrefixedString(what: string): string {
    const length = this.uint32(`${what} length`);
    return this.string(length, what);
  }

  end(): void {
    if (this.remaining !== 0) {
      throw new NbdOptionError(`${this.#option}: ${this.remaining} bytes of trailing data`);
    }
  }
}

/**
 * Decodes one option's data. Throws NbdOptionError for data that breaks the
 * option's layout; the service answers that with NBD_REP_ERR_INVALID.
 */
export function decodeOption(option: number, data: Buffer): NbdOption {
  switch (option) {
    case NBD_OPT_EXPORT_NAME:
      // The name is the whole data; its length comes from the option header.
      return { type: "export-name", name: decodeString(data, "NBD_OPT_EXPORT_NAME: export name") };
    case NBD_OPT_ABORT:
      // "a server SHOULD ignore any data sent by the client" with ABORT.
      return { type: "abort" };
    case NBD_OPT_LIST:
      if (data.length !== 0)
        throw new NbdOptionError(`NBD_OPT_LIST: ${data.length} bytes of data, none allowed`);
      return { type: "list" };
    case NBD_OPT_STRUCTURED_REPLY:
      if (data.length !== 0) {
        throw new NbdOptionError(`NBD_OPT_STRUCTURED_REPLY: ${data.length} bytes of data, none allowed`);
      }
      return { type: "structured-reply" };
    case NBD_OPT_INFO:
    case NBD_OPT_GO: {
      const label = option === NBD_OPT_GO ? "NBD_OPT_GO" : "NBD_OPT_INFO";
      const r = new OptionDataReader(data, label);
      // Name length MUST be no larger than the option data length - 6.
      const name = r.lengthPrefixedString("export name");
      const count = r.uint16("number of information requests");
      if (r.remaining !== count * 2) {
        throw new NbdOptionError(
          `${label}: ${count} information requests need ${count * 2} bytes, ${r.remaining} sent`,
        );
      }
      const requests: number[] = [];
      for (let i = 0; i < count; i++) requests.push(r.uint16("information request"));
      return { type: option === NBD_OPT_GO ? "go" : "info", name, requests };
    }
    case NBD_OPT_LIST_META_CONTEXT:
    case NBD_OPT_SET_META_CONTEXT: {
      const label =
        option === NBD_OPT_SET_META_CONTEXT ? "NBD_OPT_SET_META_CONTEXT" : "NBD_OPT_LIST_META_CONTEXT";
      const r = new OptionDataReader(data, label);
      const exportName = r.lengthPrefixedString("export name");
      const count = r.uint32("number of queries");
      // Each query takes at least its 4-byte length: reject a count the data cannot hold before looping.
      if (count * 4 > r.remaining) {
        throw new NbdOptionError(`${label}: ${count} queries cannot fit in ${r.remaining} bytes`);
      }
      const queries: string[] = [];
      for (let i = 0; i < count; i++) queries.push(r.lengthPrefixedString(`query ${i + 1}`));
      r.end();
      return {
        type: option === NBD_OPT_SET_META_CONTEXT ? "set-meta-context" : "list-meta-context",
        exportName,
        queries,
      };
    }
    default:
      return { type: "unsupported", option };
  }
}

/**
 * The client's 32-bit flags (framed by NbdClientFramer); a bit the server
 * did not offer breaks a MUST and ends the connection.
 */
export function checkClientFlags(flags: number, serverNoZeroes: boolean): number {
  const allowed = NBD_FLAG_C_FIXED_NEWSTYLE | (serverNoZeroes ? NBD_FLAG_C_NO_ZEROES : 0);
  if ((flags & ~allowed) !== 0) {
    throw new NbdProtocolError(
      `client flags 0x${(flags >>> 0).toString(16)} set bits the server did not offer`,
    );
  }
  return flags;
}

/** S: NBDMAGIC, IHAVEOPT, 16-bit handshake flags. */
export function encodeGreeting(handshakeFlags: number): Buffer {
  const buf = Buffer.allocUnsafe(18);
  buf.writeBigUInt64BE(NBD_INIT_MAGIC, 0);
  buf.writeBigUInt64BE(NBD_OPTS_MAGIC, 8);
  buf.writeUInt16BE(handshakeFlags, 16);
  return buf;
}

/** An option reply: magic, option, reply type, length, data. */
export function encodeOptionReply(option: number, replyType: number, data?: Buffer): Buffer {
  const length = data?.length ?? 0;
  const buf = Buffer.allocUnsafe(NBD_OPTION_REPLY_HEADER_BYTES + length);
  buf.writeBigUInt64BE(NBD_REP_MAGIC, 0);
  buf.writeUInt32BE(option, 8);
  buf.writeUInt32BE(replyType, 12);
  buf.writeUInt32BE(length, 16);
  if (data) data.copy(buf, NBD_OPTION_REPLY_HEADER_BYTES);
  return buf;
}

export function encodeAck(option: number): Buffer {
  return encodeOptionReply(option, NBD_REP_ACK);
}

/** An error reply (bit 31 set) with an optional message for a human. */
export function encodeOptionError(option: number, errorType: number, message = ""): Buffer {
  return encodeOptionReply(option, errorType, Buffer.from(truncateString(message), "utf8"));
}

/** NBD_REP_SERVER: 32-bit name length, name, then a description for a human. */
export function encodeRepServer(name: string, description = ""): Buffer {
  const n = Buffer.from(name, "utf8");
  const d = Buffer.from(truncateString(description), "utf8");
  const data = Buffer.allocUnsafe(4 + n.length + d.length);
  data.writeUInt32BE(n.length, 0);
  n.copy(data, 4);
  d.copy(data, 4 + n.length);
  return encodeOptionReply(NBD_OPT_LIST, NBD_REP_SERVER, data);
}

/** NBD_REP_INFO / NBD_INFO_EXPORT: size and transmission flags, length 12. */
export function encodeInfoExport(option: number, size: number, transmissionFlags: number): Buffer {
  const data = Buffer.allocUnsafe(12);
  data.writeUInt16BE(NBD_INFO_EXPORT, 0);
  data.writeBigUInt64BE(BigInt(size), 2);
  data.writeUInt16BE(transmissionFlags, 10);
  return encodeOptionReply(option, NBD_REP_INFO, data);
}

/** NBD_REP_INFO / NBD_INFO_NAME or NBD_INFO_DESCRIPTION: type then a string. */
export function encodeInfoString(
  option: number,
  infoType: typeof NBD_INFO_NAME | typeof NBD_INFO_DESCRIPTION,
  text: string,
): Buffer {
  const s = Buffer.from(truncateString(text), "utf8");
  const data = Buffer.allocUnsafe(2 + s.length);
  data.writeUInt16BE(infoType, 0);
  s.copy(data, 2);
  return encodeOptionReply(option, NBD_REP_INFO, data);
}

/** NBD_REP_INFO / NBD_INFO_BLOCK_SIZE: minimum, preferred, maximum; length 14. */
export function encodeInfoBlockSize(
  option: number,
  minimum: number,
  preferred: number,
  maximum: number,
): Buffer {
  const data = Buffer.allocUnsafe(14);
  data.writeUInt16BE(NBD_INFO_BLOCK_SIZE, 0);
  data.writeUInt32BE(minimum, 2);
  data.writeUInt32BE(preferred, 6);
  data.writeUInt32BE(maximum, 10);
  return encodeOptionReply(option, NBD_REP_INFO, data);
}

/** NBD_REP_META_CONTEXT: 32-bit context id then its name. */
export function encodeMetaContext(option: number, contextId: number, name: string): Buffer {
  const s = Buffer.from(name, "utf8");
  const data = Buffer.allocUnsafe(4 + s.length);
  data.writeUInt32BE(contextId, 0);
  s.copy(data, 4);
  return encodeOptionReply(option, NBD_REP_META_CONTEXT, data);
}

/**
 * The reply to NBD_OPT_EXPORT_NAME: size, transmission flags, and 124 zero
 * bytes unless both sides agreed on NO_ZEROES.
 */
export function encodeExportNameReply(size: number, transmissionFlags: number, noZeroes: boolean): Buffer {
  const buf = Buffer.alloc(noZeroes ? 10 : 134);
  buf.writeBigUInt64BE(BigInt(size), 0);
  buf.writeUInt16BE(transmissionFlags, 8);
  return buf;
}

/** Cuts a string to at most 4096 UTF-8 bytes on a character boundary. */
function truncateString(s: string): string {
  if (Buffer.byteLength(s, "utf8") <= NBD_MAX_STRING_BYTES) return s;
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, "utf8");
    if (bytes + n > NBD_MAX_STRING_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}

// --- The client's side: used by tests and by health checks that speak NBD. ---

/** C: IHAVEOPT, option, length, data. */
export function encodeOption(option: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const buf = Buffer.allocUnsafe(NBD_OPTION_HEADER_BYTES + data.length);
  buf.writeBigUInt64BE(NBD_OPTS_MAGIC, 0);
  buf.writeUInt32BE(option, 8);
  buf.writeUInt32BE(data.length, 12);
  data.copy(buf, NBD_OPTION_HEADER_BYTES);
  return buf;
}

export function encodeClientFlags(flags: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf.writeUInt32BE(flags, 0);
  return buf;
}

/** Data of NBD_OPT_INFO / NBD_OPT_GO: name length, name, count, requests. */
export function encodeInfoRequestData(name: string, requests: readonly number[]): Buffer {
  const n = Buffer.from(name, "utf8");
  const buf = Buffer.allocUnsafe(4 + n.length + 2 + 2 * requests.length);
  buf.writeUInt32BE(n.length, 0);
  n.copy(buf, 4);
  buf.writeUInt16BE(requests.length, 4 + n.length);
  requests.forEach((r, i) => {
    buf.writeUInt16BE(r, 6 + n.length + 2 * i);
  });
  return buf;
}

/** Data of NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT. */
export function encodeMetaContextRequestData(exportName: string, queries: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  const field = (s: string) => {
    const b = Buffer.from(s, "utf8");
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(b.length, 0);
    parts.push(len, b);
  };
  field(exportName);
  const count = Buffer.allocUnsafe(4);
  count.writeUInt32BE(queries.length, 0);
  parts.push(count);
  for (const q of queries) field(q);
  return Buffer.concat(parts);
}
