import { writeIpv4 } from "../ipv4-address.js";
import { DhcpCodecError } from "./dhcp-codec-error.js";
import {
  type DhcpMessage,
  DEFAULT_MAX_MESSAGE,
  FIXED_HEADER_LENGTH,
  MAGIC_COOKIE,
  MIN_DHCP_LENGTH,
  MIN_REPLY_LENGTH,
  Opt,
} from "./dhcp-message.js";

export type EncodableDhcpMessage = Omit<DhcpMessage, "messageType">;

const SNAME_OFFSET = 44;
const FILE_OFFSET = 108;

/**
 * Serialises a message. `maxSize` is the largest UDP payload the peer takes
 * (option 57 less nothing: RFC 2132 §9.10 counts the whole DHCP message);
 * options that do not fit in the options field spill into `file` and then
 * `sname` with option 52 (RFC 2132 §9.3) when those fields are empty.
 * The message is padded to 300 octets (RFC 1542 §2.1).
 */
export function encodeDhcp(msg: EncodableDhcpMessage, maxSize: number = DEFAULT_MAX_MESSAGE): Buffer {
  const chunks = optionChunks(msg.options);
  const room = Math.max(maxSize, DEFAULT_MAX_MESSAGE) - MIN_DHCP_LENGTH;
  const total = chunks.reduce((n, c) => n + c.length, 0);

  let main: Buffer[] = chunks;
  let fileOptions: Buffer[] | null = null;
  let snameOptions: Buffer[] | null = null;
  if (total + 1 > room) {
    // Fields in RFC 3396 §5 order: options (less 3 bytes for option 52 and
    // 1 for END), then file, then sname, each only when it carries no text.
    const fields: { limit: number; list: Buffer[] }[] = [{ limit: room - 4, list: [] }];
    const fileField = msg.file === "" ? { limit: 128 - 1, list: [] as Buffer[] } : null;
    const snameField = msg.sname === "" ? { limit: 64 - 1, list: [] as Buffer[] } : null;
    if (fileField) fields.push(fileField);
    if (snameField) fields.push(snameField);
    let f = 0;
    let used = 0;
    for (const c of chunks) {
      while (f < fields.length && used + c.length > fields[f]!.limit) {
        f++;
        used = 0;
      }
      const field = fields[f];
      if (!field) {
        throw new DhcpCodecError(
          "oversized",
          `options need ${total} bytes, more than fit in a ${maxSize}-byte message`,
        );
      }
      field.list.push(c);
      used += c.length;
    }
    main = fields[0]!.list;
    fileOptions = fileField && fileField.list.length > 0 ? fileField.list : null;
    snameOptions = snameField && snameField.list.length > 0 ? snameField.list : null;
    const overload = (fileOptions ? 1 : 0) | (snameOptions ? 2 : 0);
    // Option 52 after option 53, which stays first (see optionChunks).
    const first = main[0]?.[0] === Opt.MESSAGE_TYPE ? 1 : 0;
    main = [...main.slice(0, first), Buffer.from([Opt.OVERLOAD, 1, overload]), ...main.slice(first)];
  }

  const optionsLength = main.reduce((n, c) => n + c.length, 0) + 1;
  const buf = Buffer.alloc(Math.max(MIN_REPLY_LENGTH, MIN_DHCP_LENGTH + optionsLength));
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
  if (snameOptions) writeField(buf, SNAME_OFFSET, snameOptions);
  else writeText(buf, SNAME_OFFSET, 64, msg.sname, "sname");
  if (fileOptions) writeField(buf, FILE_OFFSET, fileOptions);
  else writeText(buf, FILE_OFFSET, 128, msg.file, "file");
  buf.writeUInt32BE(MAGIC_COOKIE, FIXED_HEADER_LENGTH);
  const end = writeField(buf, MIN_DHCP_LENGTH, main);
  buf[end - 1] = Opt.END;
  return buf;
}

/**
 * Options as TLV byte runs, message type first (RFC 2131 §4.1 does not ask
 * for it, but old PXE ROMs read option 53 from the first position). Values
 * over 255 bytes are split into several instances (RFC 3396 §6).
 */
function optionChunks(options: ReadonlyMap<number, Buffer>): Buffer[] {
  const out: Buffer[] = [];
  const push = (code: number, value: Buffer) => {
    if (code === Opt.PAD || code === Opt.END || code === Opt.OVERLOAD || code < 0 || code > 255) {
      throw new DhcpCodecError("bad-option-value", `option code ${code} cannot be set directly`);
    }
    if (value.length === 0) {
      out.push(Buffer.from([code, 0]));
      return;
    }
    for (let i = 0; i < value.length; i += 255) {
      const part = value.subarray(i, Math.min(value.length, i + 255));
      out.push(Buffer.concat([Buffer.from([code, part.length]), part]));
    }
  };
  const mt = options.get(Opt.MESSAGE_TYPE);
  if (mt) push(Opt.MESSAGE_TYPE, mt);
  for (const [code, value] of options) if (code !== Opt.MESSAGE_TYPE) push(code, value);
  return out;
}

/** Copies TLV runs at `offset` followed by END; returns the offset after END. */
function writeField(buf: Buffer, offset: number, runs: readonly Buffer[]): number {
  for (const r of runs) {
    r.copy(buf, offset);
    offset += r.length;
  }
  buf[offset] = Opt.END;
  return offset + 1;
}

function writeText(buf: Buffer, offset: number, size: number, text: string, field: string): void {
  const bytes = Buffer.from(text, "latin1");
  // One byte stays NUL so the field is a C string for every client.
  if (bytes.length > size - 1) {
    throw new DhcpCodecError("oversized", `${field} is ${bytes.length} bytes, the field holds ${size - 1}`);
  }
  bytes.copy(buf, offset);
}
