import { writeIpv4 } from "../ipv4-address.js";
import { DhcpCodecError } from "./dhcp-codec-error.js";
import {
  type DhcpMessage,
  DEFAULT_MAX_MESSAGE,
  FILE_LENGTH,
  FILE_OFFSET,
  FIXED_HEADER_LENGTH,
  MAGIC_COOKIE,
  MIN_DHCP_LENGTH,
  MIN_REPLY_LENGTH,
  Opt,
  SNAME_LENGTH,
  SNAME_OFFSET,
} from "./dhcp-message.js";

export type EncodableDhcpMessage = Omit<DhcpMessage, "messageType">;

/**
 * Serialises a message. `maxSize` is the largest UDP payload the peer takes
 * (option 57 less nothing: RFC 2132 §9.10 counts the whole DHCP message);
 * options that do not fit in the options field spill into `file` and then
 * `sname` with option 52 (RFC 2132 §9.3) when those fields are empty.
 * The message is padded to 300 octets (RFC 1542 §2.1).
 */
export function encodeDhcp(msg: EncodableDhcpMessage, maxSize: number = DEFAULT_MAX_MESSAGE): Buffer {
  const room = Math.max(maxSize, DEFAULT_MAX_MESSAGE) - MIN_DHCP_LENGTH;
  // What every reply we make is: each option one instance, all in the
  // options field. Written straight from the map, without the pieces below.
  const direct = directLength(msg.options);
  if (direct !== -1 && direct <= room) {
    const buf = zeroed(Math.max(MIN_REPLY_LENGTH, MIN_DHCP_LENGTH + direct));
    writeFixedFields(buf, msg, 0);
    let at = MIN_DHCP_LENGTH;
    const mt = msg.options.get(Opt.MESSAGE_TYPE);
    if (mt) at = writePiece(buf, at, [Opt.MESSAGE_TYPE, mt, 0, mt.length]);
    for (const [code, value] of msg.options) {
      if (code !== Opt.MESSAGE_TYPE) at = writePiece(buf, at, [code, value, 0, value.length]);
    }
    buf[at] = Opt.END;
    return buf;
  }

  const pieces = optionPieces(msg.options);
  const total = pieces.reduce((n, p) => n + pieceLength(p), 0);

  // Which field each piece goes in: 0 options, 1 file, 2 sname.
  const field = new Uint8Array(pieces.length);
  let overload = 0;
  if (total + 1 > room) {
    // Fields in RFC 3396 §5 order: options (less 3 bytes for option 52 and
    // 1 for END), then file, then sname, each only when it carries no text.
    const limits = [
      room - 4,
      msg.file === "" ? FILE_LENGTH - 1 : -1,
      msg.sname === "" ? SNAME_LENGTH - 1 : -1,
    ];
    let f = 0;
    let used = 0;
    pieces.forEach((p, i) => {
      const len = pieceLength(p);
      while (f < 3 && used + len > limits[f]!) {
        f++;
        used = 0;
      }
      if (f === 3) {
        throw new DhcpCodecError(
          "oversized",
          `options need ${total} bytes, more than fit in a ${maxSize}-byte message`,
        );
      }
      field[i] = f;
      used += len;
      if (f === 1) overload |= 1;
      if (f === 2) overload |= 2;
    });
  }

  let mainLength = 1; // END
  for (let i = 0; i < pieces.length; i++) if (field[i] === 0) mainLength += pieceLength(pieces[i]!);
  if (overload) mainLength += 3;
  const buf = zeroed(Math.max(MIN_REPLY_LENGTH, MIN_DHCP_LENGTH + mainLength));
  writeFixedFields(buf, msg, overload);

  const at = [MIN_DHCP_LENGTH, FILE_OFFSET, SNAME_OFFSET];
  pieces.forEach((p, i) => {
    const f = field[i]!;
    at[f] = writePiece(buf, at[f]!, p);
    // Option 52 right after option 53, which is always first (see optionPieces).
    if (i === 0 && overload) at[0] = writePiece(buf, at[0]!, [Opt.OVERLOAD, Buffer.from([overload]), 0, 1]);
  });
  buf[at[0]!] = Opt.END;
  if (overload & 1) buf[at[1]!] = Opt.END;
  if (overload & 2) buf[at[2]!] = Opt.END;
  return buf;
}

/**
 * A zero-filled buffer from Node's shared pool: Buffer.alloc takes a fresh
 * allocation of its own, which costs more than the rest of encoding a reply,
 * and one is made for every packet.
 */
function zeroed(length: number): Buffer {
  return Buffer.allocUnsafe(length).fill(0);
}

/** The fixed header and the cookie; `sname` and `file` hold text unless `overload` gives them to options. */
function writeFixedFields(buf: Buffer, msg: EncodableDhcpMessage, overload: number): void {
  buf[0] = msg.op;
  buf[1] = msg.htype;
  buf[2] = msg.hlen;
  buf[3] = msg.hops;
  buf.writeUInt32BE(msg.xid >>> 0, 4);
  buf.writeUInt16BE(msg.secs & 0xffff, 8);
  buf.writeUInt16BE(msg.flags & 0xffff, 10);
  writeIpv4(buf, 12, msg.ciaddr);
  writeIpv4(buf, 16, msg.yiaddr);
  writeIpv4(buf, 20, msg.siaddr);
  writeIpv4(buf, 24, msg.giaddr);
  msg.chaddr.copy(buf, 28, 0, Math.min(16, msg.chaddr.length));
  if (!(overload & 2)) writeText(buf, SNAME_OFFSET, SNAME_LENGTH, msg.sname, "sname");
  if (!(overload & 1)) writeText(buf, FILE_OFFSET, FILE_LENGTH, msg.file, "file");
  buf.writeUInt32BE(MAGIC_COOKIE, FIXED_HEADER_LENGTH);
}

/**
 * Bytes of the options field (options and END) when every option is one
 * instance (at most 255 bytes); -1 when one must be split (RFC 3396 §6).
 * Throws for codes that cannot be set, as optionPieces does.
 */
function directLength(options: ReadonlyMap<number, Buffer>): number {
  let length = 1;
  for (const [code, value] of options) {
    checkCode(code);
    if (value.length > 255) return -1;
    length += 2 + value.length;
  }
  return length;
}

function checkCode(code: number): void {
  if (code === Opt.PAD || code === Opt.END || code === Opt.OVERLOAD || code < 0 || code > 255) {
    throw new DhcpCodecError("bad-option-value", `option code ${code} cannot be set directly`);
  }
}

/** One option instance: code, the value it is cut from, and the cut [start, end). */
type Piece = readonly [code: number, value: Buffer, start: number, end: number];

const pieceLength = (p: Piece) => 2 + p[3] - p[2];

function writePiece(buf: Buffer, offset: number, [code, value, start, end]: Piece): number {
  buf[offset] = code;
  buf[offset + 1] = end - start;
  value.copy(buf, offset + 2, start, end);
  return offset + 2 + end - start;
}

/**
 * Options as instances to write, message type first (RFC 2131 §4.1 does
 * not ask for it, but old PXE ROMs read option 53 from the first position).
 * Values over 255 bytes are split into several instances (RFC 3396 §6).
 */
function optionPieces(options: ReadonlyMap<number, Buffer>): Piece[] {
  const out: Piece[] = [];
  const push = (code: number, value: Buffer) => {
    checkCode(code);
    if (value.length === 0) out.push([code, value, 0, 0]);
    for (let i = 0; i < value.length; i += 255) out.push([code, value, i, Math.min(value.length, i + 255)]);
  };
  const mt = options.get(Opt.MESSAGE_TYPE);
  if (mt) push(Opt.MESSAGE_TYPE, mt);
  for (const [code, value] of options) if (code !== Opt.MESSAGE_TYPE) push(code, value);
  return out;
}

function writeText(buf: Buffer, offset: number, size: number, text: string, field: string): void {
  const length = Buffer.byteLength(text, "latin1");
  // One byte stays NUL so the field is a C string for every client.
  if (length > size - 1) {
    throw new DhcpCodecError("oversized", `${field} is ${length} bytes, the field holds ${size - 1}`);
  }
  buf.write(text, offset, length, "latin1");
}
