/**
 * Pure decoder for the ICMPv6 body of a Router Solicitation or Router
 * Advertisement (what a raw ICMPv6 socket hands over: no IPv6 header). It
 * applies the checks of RFC 4861 §6.1.1 and §6.1.2 that the message itself
 * can answer: code 0, the minimum length, and options that are all longer
 * than zero and fit. The checks on the IPv6 header (hop limit 255, the
 * source address) and the checksum are the receiver's: the kernel verifies
 * the checksum of a raw ICMPv6 socket's messages (RFC 3542 §3.1).
 */
import { NdpDecodeError } from "./ndp-decode-error.js";
import {
  NdpOptionType,
  type NdpMessage,
  NdpType,
  type RouterAdvertisement,
  type RouterSolicitation,
} from "./ndp-message.js";

/** RFC 4861 §4.1: type, code, checksum and 4 reserved bytes before the options. */
const SOLICITATION_HEADER_BYTES = 8;
/** RFC 4861 §4.2: the 8 bytes above plus reachable time and retransmission timer. */
const ADVERTISEMENT_HEADER_BYTES = 16;
/** RFC 4861 §4.6: an option's length counts units of 8 bytes, its type and length included. */
const OPTION_UNIT = 8;

/** The options of one message, type -> data of the first such option (RFC 4861 §4.6 allows repeats; we read one). */
function readOptions(buf: Buffer, from: number, what: string): Map<number, Buffer> {
  const options = new Map<number, Buffer>();
  let at = from;
  while (at < buf.length) {
    if (buf.length - at < 2)
      throw new NdpDecodeError(`${what}: option at byte ${at}: 1 byte left, an option header is 2`);
    const type = buf[at]!;
    const units = buf[at + 1]!;
    // §4.6: "Nodes MUST silently discard an ND packet that contains an option with length zero."
    if (units === 0) throw new NdpDecodeError(`${what}: option ${type} at byte ${at} has length 0`);
    const bytes = units * OPTION_UNIT;
    if (bytes > buf.length - at)
      throw new NdpDecodeError(
        `${what}: option ${type} at byte ${at} claims ${bytes} bytes, ${buf.length - at} left`,
      );
    if (!options.has(type)) options.set(type, buf.subarray(at + 2, at + bytes));
    at += bytes;
  }
  return options;
}

function linkLayerText(data: Buffer | undefined): string | undefined {
  if (data === undefined) return undefined;
  return [...data].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function decodeSolicitation(buf: Buffer): RouterSolicitation {
  const what = "router solicitation";
  if (buf.length < SOLICITATION_HEADER_BYTES)
    throw new NdpDecodeError(
      `${what} of ${buf.length} bytes: shorter than its ${SOLICITATION_HEADER_BYTES}-byte header`,
    );
  const options = readOptions(buf, SOLICITATION_HEADER_BYTES, what);
  return {
    type: NdpType.ROUTER_SOLICITATION,
    sourceLinkLayer: linkLayerText(options.get(NdpOptionType.SOURCE_LINK_LAYER_ADDRESS)),
  };
}

function decodeAdvertisement(buf: Buffer): RouterAdvertisement {
  const what = "router advertisement";
  if (buf.length < ADVERTISEMENT_HEADER_BYTES)
    throw new NdpDecodeError(
      `${what} of ${buf.length} bytes: shorter than its ${ADVERTISEMENT_HEADER_BYTES}-byte header`,
    );
  const options = readOptions(buf, ADVERTISEMENT_HEADER_BYTES, what);
  const mtu = options.get(NdpOptionType.MTU);
  // §4.6.4: 2 reserved bytes, then the MTU; the option is exactly one unit.
  if (mtu !== undefined && mtu.length !== 6)
    throw new NdpDecodeError(`${what}: MTU option of ${mtu.length + 2} bytes, RFC 4861 §4.6.4 makes it 8`);
  return {
    type: NdpType.ROUTER_ADVERTISEMENT,
    curHopLimit: buf[4]!,
    managed: (buf[5]! & 0x80) !== 0,
    other: (buf[5]! & 0x40) !== 0,
    routerLifetime: buf.readUInt16BE(6),
    reachableTime: buf.readUInt32BE(8),
    retransTimer: buf.readUInt32BE(12),
    sourceLinkLayer: linkLayerText(options.get(NdpOptionType.SOURCE_LINK_LAYER_ADDRESS)),
    mtu: mtu?.readUInt32BE(2),
  };
}

export function decodeNdp(buf: Buffer): NdpMessage {
  if (buf.length < 4)
    throw new NdpDecodeError(`ICMPv6 message of ${buf.length} bytes: shorter than its 4-byte header`);
  const type = buf[0]!;
  if (type !== NdpType.ROUTER_SOLICITATION && type !== NdpType.ROUTER_ADVERTISEMENT)
    throw new NdpDecodeError(`ICMPv6 type ${type} is not a router solicitation (133) or advertisement (134)`);
  const what = type === NdpType.ROUTER_SOLICITATION ? "router solicitation" : "router advertisement";
  // §6.1.1, §6.1.2: "ICMP Code is 0."
  if (buf[1] !== 0) throw new NdpDecodeError(`${what}: code ${buf[1]}, RFC 4861 §6.1 requires 0`);
  return type === NdpType.ROUTER_SOLICITATION ? decodeSolicitation(buf) : decodeAdvertisement(buf);
}
