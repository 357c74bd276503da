/**
 * Pure encoder for Router Solicitations and Advertisements (RFC 4861 §4.1,
 * §4.2), as the ICMPv6 body a raw ICMPv6 socket sends. The checksum is left
 * 0: it covers a pseudo-header with the source address the kernel picks,
 * and the kernel fills it in for raw ICMPv6 sockets (RFC 3542 §3.1).
 */
import { NdpOptionType, type NdpMessage, NdpType } from "./ndp-message.js";

/** The link-layer address option (RFC 4861 §4.6.1), padded to 8-byte units; undefined when there is none. */
function linkLayerOption(text: string | undefined): Buffer | undefined {
  if (text === undefined) return undefined;
  const bytes = text.split(":").map((h) => Number.parseInt(h, 16));
  if (bytes.length === 0 || bytes.some((b) => !(b >= 0 && b <= 255)))
    throw new RangeError(`link-layer address '${text}' is not colon-separated hex bytes`);
  const units = Math.ceil((bytes.length + 2) / 8);
  const option = Buffer.alloc(units * 8);
  option[0] = NdpOptionType.SOURCE_LINK_LAYER_ADDRESS;
  option[1] = units;
  Buffer.from(bytes).copy(option, 2);
  return option;
}

function mtuOption(mtu: number | undefined): Buffer | undefined {
  if (mtu === undefined) return undefined;
  const option = Buffer.alloc(8);
  option[0] = NdpOptionType.MTU;
  option[1] = 1;
  option.writeUInt32BE(mtu, 4);
  return option;
}

export function encodeNdp(message: NdpMessage): Buffer {
  const options: Buffer[] = [];
  let header: Buffer;
  if (message.type === NdpType.ROUTER_SOLICITATION) {
    header = Buffer.alloc(8);
  } else {
    header = Buffer.alloc(16);
    header[4] = message.curHopLimit;
    header[5] = (message.managed ? 0x80 : 0) | (message.other ? 0x40 : 0);
    header.writeUInt16BE(message.routerLifetime, 6);
    header.writeUInt32BE(message.reachableTime, 8);
    header.writeUInt32BE(message.retransTimer, 12);
    const mtu = mtuOption(message.mtu);
    if (mtu) options.push(mtu);
  }
  header[0] = message.type;
  const source = linkLayerOption(message.sourceLinkLayer);
  if (source) options.unshift(source);
  return Buffer.concat([header, ...options]);
}
