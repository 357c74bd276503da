import { ipv4ToNumber } from "../ipv4-address.js";

/**
 * Does an address field hold an address? RFC 2131 §2: a field the sender
 * has nothing for is 0.0.0.0 (ciaddr before the client is BOUND, giaddr
 * when no relay forwarded the packet, siaddr without a next server).
 */
export function isSetAddress(ip: string): boolean {
  const n = ipv4ToNumber(ip);
  return n !== null && n !== 0;
}
