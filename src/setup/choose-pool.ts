/**
 * The address pool a first-run config gives full-mode DHCP: inside the
 * server's subnet, never the network or broadcast address, and never an
 * address already taken by the server itself or the router.
 */
import { ipv4ToNumber, numberToIpv4 } from "../protocols/ipv4-address.js";

/** At most this many addresses: enough for a lab, and a small slice of a large subnet. */
const MOST = 100;

/**
 * Ranges as the config writes them ("a-b"), or none when the subnet is too
 * small to leave room (prefix over 29). In a /24 or larger it is .100-.199 of
 * the server's own /24, the habit of small networks; in a smaller subnet, the
 * same share of it (100/256 to 200/256 of the way through).
 */
export function choosePool(address: string, prefix: number, avoid: readonly string[] = []): string[] {
  const own = ipv4ToNumber(address);
  if (own === null || prefix > 29 || prefix < 0) return [];
  let first: number;
  let last: number;
  if (prefix <= 24) {
    const block = (own & 0xffffff00) >>> 0;
    first = block + 100;
    last = block + 100 + MOST - 1;
  } else {
    const size = 2 ** (32 - prefix);
    const network = (own & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
    first = network + Math.max(1, Math.floor((size * 100) / 256));
    last = Math.min(network + size - 2, network + Math.floor((size * 200) / 256) - 1);
  }
  const taken = [own, ...avoid.map(ipv4ToNumber)]
    .filter((n): n is number => n !== null && n >= first && n <= last)
    .sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  let from = first;
  for (const n of taken) {
    if (n > from) ranges.push([from, n - 1]);
    from = Math.max(from, n + 1);
  }
  if (from <= last) ranges.push([from, last]);
  return ranges.map(([a, b]) => `${numberToIpv4(a)}-${numberToIpv4(b)}`);
}
