/**
 * Pure TFTP codec: `decode(buf)` and `encode(packet)` for RFC 1350 packets and
 * the RFC 2347 OACK. No sockets, no clocks. Every length is checked before it
 * is read; malformed input raises TftpDecodeError with an exact message.
 */
import { TftpDecodeError } from "./tftp-decode-error.js";
import {
  type AckPacket,
  type DataPacket,
  type ErrorPacket,
  type OackPacket,
  Opcode,
  type RequestPacket,
  type TftpOption,
  type TftpPacket,
} from "./tftp-packet.js";

/** DATA and ACK headers are opcode + block: 4 bytes (RFC 1350 section 5). */
export const DATA_HEADER_BYTES = 4;

const utf8 = new TextDecoder("utf-8", { fatal: true });

const opcodeNames: Readonly<Record<number, string>> = {
  1: "RRQ",
  2: "WRQ",
  3: "DATA",
  4: "ACK",
  5: "ERROR",
  6: "OACK",
};

/** Reads NUL-terminated strings from `buf` starting at `pos`. */
class CStringReader {
  #pos: number;
  readonly #buf: Buffer;

  constructor(buf: Buffer, pos: number) {
    this.#buf = buf;
    this.#pos = pos;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  /** The next string, or null when it has no terminating NUL (nothing is consumed then). */
  next(): Buffer | null {
    const end = this.#buf.indexOf(0, this.#pos);
    if (end < 0) return null;
    const s = this.#buf.subarray(this.#pos, end);
    this.#pos = end + 1;
    return s;
  }
}

function text(bytes: Buffer, what: string, packet: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new TftpDecodeError(`${packet}: ${what} is not valid UTF-8`);
  }
}

/**
 * Option pairs after the mode (RRQ/WRQ) or the opcode (OACK). RFC 2347 does
 * not say what a receiver does with bytes that do not form a whole pair; some
 * PXE ROMs pad the RRQ with NUL bytes, so padding, an unterminated last string
 * and a name without a value are ignored (tftp-hpa does the same) rather than
 * refused: refusing would fail a real boot over harmless trailing bytes.
 */
function readOptions(reader: CStringReader, packet: string): TftpOption[] {
  const options: TftpOption[] = [];
  while (reader.remaining > 0) {
    const name = reader.next();
    if (name === null || name.length === 0) break;
    const value = reader.next();
    if (value === null) break;
    options.push({
      name: text(name, "option name", packet).toLowerCase(),
      value: text(value, `value of option '${name.toString("latin1")}'`, packet),
    });
  }
  return options;
}

function decodeRequest(buf: Buffer, opcode: typeof Opcode.RRQ | typeof Opcode.WRQ): RequestPacket {
  const packet = opcodeNames[opcode]!;
  const reader = new CStringReader(buf, 2);
  const filename = reader.next();
  if (filename === null) throw new TftpDecodeError(`${packet}: filename is not NUL-terminated`);
  const mode = reader.next();
  if (mode === null) throw new TftpDecodeError(`${packet}: mode is missing or not NUL-terminated`);
  return {
    opcode,
    filename: text(filename, "filename", packet),
    mode: text(mode, "mode", packet).toLowerCase(),
    options: readOptions(reader, packet),
  };
}

/** Decodes one datagram. Throws TftpDecodeError when it is not a TFTP packet. */
export function decode(buf: Buffer): TftpPacket {
  if (buf.length < 2)
    throw new TftpDecodeError(`packet is ${buf.length} bytes, shorter than the 2-byte opcode`);
  const opcode = buf.readUInt16BE(0);
  switch (opcode) {
    case Opcode.RRQ:
    case Opcode.WRQ:
      return decodeRequest(buf, opcode);
    case Opcode.DATA: {
      if (buf.length < DATA_HEADER_BYTES)
        throw new TftpDecodeError(`DATA: packet is ${buf.length} bytes, shorter than the 4-byte header`);
      const data: DataPacket = { opcode, block: buf.readUInt16BE(2), data: buf.subarray(DATA_HEADER_BYTES) };
      return data;
    }
    case Opcode.ACK: {
      // Longer ACKs are accepted: some ROMs pad them; the block number is all that counts.
      if (buf.length < 4) throw new TftpDecodeError(`ACK: packet is ${buf.length} bytes, shorter than 4`);
      const ack: AckPacket = { opcode, block: buf.readUInt16BE(2) };
      return ack;
    }
    case Opcode.ERROR: {
      if (buf.length < 4)
        throw new TftpDecodeError(`ERROR: packet is ${buf.length} bytes, shorter than the 4-byte header`);
      // A missing final NUL is tolerated: the message is informative only.
      const end = buf.indexOf(0, 4);
      const raw = buf.subarray(4, end < 0 ? buf.length : end);
      // Error texts from firmware are not always UTF-8; latin1 never fails.
      const error: ErrorPacket = { opcode, code: buf.readUInt16BE(2), message: raw.toString("latin1") };
      return error;
    }
    case Opcode.OACK: {
      const oack: OackPacket = { opcode, options: readOptions(new CStringReader(buf, 2), "OACK") };
      return oack;
    }
    default:
      throw new TftpDecodeError(`unknown opcode ${opcode}`);
  }
}

/** Cheap check used on the hot path (one ACK per DATA window) to avoid a full decode. */
export function ackBlock(buf: Buffer): number {
  return buf.length >= 4 && buf[0] === 0 && buf[1] === Opcode.ACK ? buf.readUInt16BE(2) : -1;
}

function cstring(value: string, what: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.includes(0)) throw new RangeError(`${what} contains a NUL byte`);
  return bytes;
}

function optionBytes(options: readonly TftpOption[]): Buffer[] {
  const parts: Buffer[] = [];
  const nul = Buffer.alloc(1);
  for (const o of options)
    parts.push(cstring(o.name, "option name"), nul, cstring(o.value, "option value"), nul);
  return parts;
}

function opcodeBytes(opcode: number, second?: number): Buffer {
  const b = Buffer.alloc(second === undefined ? 2 : 4);
  b.writeUInt16BE(opcode, 0);
  if (second !== undefined) b.writeUInt16BE(second, 2);
  return b;
}

function checkBlock(block: number): void {
  if (!Number.isInteger(block) || block < 0 || block > 0xffff)
    throw new RangeError(`block ${block} is not a 16-bit number`);
}

/** Encodes one packet into a new Buffer. */
export function encode(packet: TftpPacket): Buffer {
  const nul = Buffer.alloc(1);
  switch (packet.opcode) {
    case Opcode.RRQ:
    case Opcode.WRQ:
      return Buffer.concat([
        opcodeBytes(packet.opcode),
        cstring(packet.filename, "filename"),
        nul,
        cstring(packet.mode, "mode"),
        nul,
        ...optionBytes(packet.options),
      ]);
    case Opcode.DATA:
      checkBlock(packet.block);
      return Buffer.concat([opcodeBytes(packet.opcode, packet.block), packet.data]);
    case Opcode.ACK:
      checkBlock(packet.block);
      return opcodeBytes(packet.opcode, packet.block);
    case Opcode.ERROR:
      if (!Number.isInteger(packet.code) || packet.code < 0 || packet.code > 0xffff)
        throw new RangeError(`error code ${packet.code} is not a 16-bit number`);
      return Buffer.concat([
        opcodeBytes(packet.opcode, packet.code),
        cstring(packet.message, "message"),
        nul,
      ]);
    case Opcode.OACK:
      return Buffer.concat([opcodeBytes(packet.opcode), ...optionBytes(packet.options)]);
  }
}

/**
 * Writes a DATA header (opcode 3, 16-bit block) at the start of `target`, so
 * a transfer can fill one reusable buffer per window slot instead of
 * allocating a packet per block.
 */
export function writeDataHeader(target: Buffer, block: number): void {
  target[0] = 0;
  target[1] = Opcode.DATA;
  target.writeUInt16BE(block & 0xffff, 2);
}
