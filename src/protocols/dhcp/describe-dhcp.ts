/**
 * A JSON-friendly view of a decoded message with the options this project
 * interprets decoded (PXE 43, 60, 77, 82, 93, 94, 97, 175). Used for the
 * golden fixtures and for `detail` in debug logs. Never throws: a sub-option
 * that does not decode is shown raw with the error.
 */
import { decodeClientArch, decodeClientNdi, decodeClientUuid } from "./client-system-options.js";
import { type DhcpMessage, MESSAGE_TYPE_NAMES, Opt } from "./dhcp-message.js";
import { readIp, readText, readUint16, readUint32 } from "./dhcp-option-values.js";
import { decodeIpxeOptions } from "./ipxe-options.js";
import { decodePxeVendorOptions } from "./pxe-vendor-options.js";
import { decodeRelayAgentInfo } from "./relay-agent-info.js";
import { decodeUserClass } from "./user-class.js";

export function describeDhcp(msg: DhcpMessage): Record<string, unknown> {
  const o = msg.options;
  const out: Record<string, unknown> = {
    op: msg.op,
    type: msg.messageType === null ? "bootp" : MESSAGE_TYPE_NAMES[msg.messageType],
    xid: msg.xid.toString(16).padStart(8, "0"),
    flags: msg.flags,
    ciaddr: msg.ciaddr,
    yiaddr: msg.yiaddr,
    siaddr: msg.siaddr,
    giaddr: msg.giaddr,
    chaddr: msg.chaddr.subarray(0, msg.hlen).toString("hex"),
    sname: msg.sname,
    file: msg.file,
  };
  const options: Record<string, unknown> = {};
  for (const [code, v] of o) {
    options[code] = tryDecode(() => {
      switch (code) {
        case Opt.REQUESTED_IP:
        case Opt.SERVER_ID:
        case Opt.SUBNET_MASK:
          return readIp(v) ?? v.toString("hex");
        case Opt.LEASE_TIME:
          return readUint32(v) ?? v.toString("hex");
        case Opt.MAX_MESSAGE_SIZE:
          return readUint16(v) ?? v.toString("hex");
        case Opt.HOSTNAME:
        case Opt.DOMAIN_NAME:
        case Opt.VENDOR_CLASS:
          return readText(v);
        case Opt.PARAMETER_LIST:
          return [...v];
        case Opt.USER_CLASS:
          return decodeUserClass(v);
        case Opt.CLIENT_ARCH:
          return decodeClientArch(v);
        case Opt.CLIENT_NDI:
          return decodeClientNdi(v);
        case Opt.CLIENT_UUID:
          return decodeClientUuid(v);
        case Opt.VENDOR_SPECIFIC:
          return readText(o.get(Opt.VENDOR_CLASS))?.startsWith("PXEClient")
            ? jsonable(decodePxeVendorOptions(v))
            : v.toString("hex");
        case Opt.RELAY_AGENT_INFO:
          return jsonable(decodeRelayAgentInfo(v));
        case Opt.IPXE_ENCAPSULATED:
          return jsonable(decodeIpxeOptions(v));
        default:
          return v.toString("hex");
      }
    }, v);
  }
  out.options = options;
  return out;
}

function tryDecode(f: () => unknown, raw: Buffer): unknown {
  try {
    return f();
  } catch (err) {
    return { raw: raw.toString("hex"), error: (err as Error).message };
  }
}

/** Maps and Buffers as plain JSON (hex for bytes). */
function jsonable(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString("hex");
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, jsonable(x)]));
  if (Array.isArray(v)) return v.map(jsonable);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, jsonable(x)]),
    );
  }
  return v;
}
