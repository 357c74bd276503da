/**
 * Builds client packets the way real clients lay them out (RFC 2131 §4.4.1
 * table 5: fields a client sets per message), for tests, the fuzzer, the
 * benchmark's warm-up and scripted PXE clients. Real captures in
 * test/fixtures/dhcp/ remain the reference; this only saves hand-writing hex.
 */
import { BOOTREQUEST, FLAG_BROADCAST, Opt } from "./dhcp-message.js";
import { encodeDhcp } from "./encode-dhcp.js";
import { ipOption, textOption, uint8Option, uint16Option } from "./dhcp-option-values.js";

export interface ClientPacketSpec {
  readonly type: number; // DhcpMessageType
  readonly mac: string; // aa:bb:cc:dd:ee:ff
  readonly xid?: number;
  readonly ciaddr?: string;
  readonly giaddr?: string;
  readonly broadcast?: boolean;
  readonly requestedIp?: string; // option 50
  readonly serverId?: string; // option 54
  readonly vendorClass?: string; // option 60
  readonly userClass?: Buffer; // option 77, raw as sent
  readonly arch?: number; // option 93
  readonly hostname?: string; // option 12
  readonly clientId?: Buffer; // option 61
  readonly maxMessageSize?: number; // option 57
  /** Any other options, by code, after the ones above. */
  readonly extra?: ReadonlyMap<number, Buffer>;
}

export function macToChaddr(mac: string): Buffer {
  const b = Buffer.alloc(16);
  Buffer.from(mac.replace(/[:-]/g, ""), "hex").copy(b);
  return b;
}

export function makeClientPacket(spec: ClientPacketSpec): Buffer {
  const options = new Map<number, Buffer>();
  options.set(Opt.MESSAGE_TYPE, uint8Option(spec.type));
  if (spec.clientId) options.set(Opt.CLIENT_ID, spec.clientId);
  if (spec.requestedIp) options.set(Opt.REQUESTED_IP, ipOption(spec.requestedIp));
  if (spec.serverId) options.set(Opt.SERVER_ID, ipOption(spec.serverId));
  if (spec.maxMessageSize) options.set(Opt.MAX_MESSAGE_SIZE, uint16Option(spec.maxMessageSize));
  if (spec.hostname) options.set(Opt.HOSTNAME, textOption(spec.hostname));
  if (spec.vendorClass) options.set(Opt.VENDOR_CLASS, textOption(spec.vendorClass));
  if (spec.userClass) options.set(Opt.USER_CLASS, spec.userClass);
  if (spec.arch !== undefined) options.set(Opt.CLIENT_ARCH, uint16Option(spec.arch));
  options.set(Opt.PARAMETER_LIST, Buffer.from([1, 3, 6, 12, 15, 17, 28, 42, 43, 60, 66, 67]));
  for (const [code, v] of spec.extra ?? []) options.set(code, v);
  return encodeDhcp({
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: spec.xid ?? 0x12345678,
    secs: 0,
    flags: spec.broadcast ? FLAG_BROADCAST : 0,
    ciaddr: spec.ciaddr ?? "0.0.0.0",
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    giaddr: spec.giaddr ?? "0.0.0.0",
    chaddr: macToChaddr(spec.mac),
    sname: "",
    file: "",
    options,
  });
}
