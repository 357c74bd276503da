/**
 * The networks the DHCP service answers for, worked out once from the
 * config and the machine's interface addresses.
 *
 * A network is *local* when this machine has an address inside it on one of
 * the served interfaces: its clients' broadcasts reach us directly, and that
 * address is our server identifier there (RFC 2131 §4.3.1: option 54 is an
 * address of ours the client can reach). Any other configured network is
 * served only through relays (giaddr, RFC 2131 §4.1), with the configured
 * server address as identifier.
 */
import { ipv4ToNumber, numberToIpv4 } from "../../protocols/ipv4-address.js";
import type { FleetConfig, Network } from "../../config/model.js";

/** One IPv4 address of this machine (from os.networkInterfaces() or a test). */
export interface LocalAddress {
  readonly interface: string;
  readonly address: string;
  /** Prefix length, e.g. 24. */
  readonly prefix: number;
}

export interface ServedNetwork {
  readonly config: Network;
  /** "198.18.10.0/24": the `network` of its lease rows. */
  readonly cidr: string;
  readonly first: number;
  readonly last: number;
  readonly mask: string;
  readonly broadcast: string;
  /** Pool ranges as [first, last] numbers, both included, clipped to the subnet. */
  readonly pool: readonly (readonly [number, number])[];
  readonly poolSize: number;
  /** Option 54 for this network. */
  readonly serverId: string;
  /** Directly attached (we hold serverId on `interfaceName`), or only behind relays. */
  readonly local: boolean;
  readonly interfaceName?: string | undefined;
  /** Leases (running offers and bindings) allowed at once; the pool size when unset. */
  readonly maxLeases: number;
  /** Host reservations inside this subnet: ip -> mac (hosts with both). */
  readonly reserved: ReadonlyMap<string, string>;
}

export function planServedNetworks(
  config: Pick<FleetConfig, "networks" | "hosts" | "server">,
  addresses: readonly LocalAddress[],
): ServedNetwork[] {
  const allowed = config.server.interfaces;
  return config.networks.map((net) => {
    const first = net.subnet.network >>> 0;
    const last = (first | (~net.subnet.mask >>> 0)) >>> 0;
    const inside = (n: number | null): n is number => n !== null && n >= first && n <= last;
    const local = addresses.find(
      (a) =>
        inside(ipv4ToNumber(a.address)) &&
        (allowed.length === 0 || allowed.includes(a.interface)) &&
        (net.interface === undefined || net.interface === a.interface),
    );
    const pool: [number, number][] = [];
    for (const r of net.pool ?? []) {
      const lo = Math.max(r.first >>> 0, first + 1);
      const hi = Math.min(r.last >>> 0, last - 1); // never the network or broadcast address
      if (lo <= hi) pool.push([lo, hi]);
    }
    const poolSize = pool.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
    const reserved = new Map<string, string>();
    for (const h of config.hosts) if (h.mac && h.ip && inside(ipv4ToNumber(h.ip))) reserved.set(h.ip, h.mac);
    return {
      config: net,
      cidr: net.subnet.text,
      first,
      last,
      mask: numberToIpv4(net.subnet.mask >>> 0),
      broadcast: numberToIpv4(last),
      pool,
      poolSize,
      serverId: local?.address ?? config.server.address,
      local: local !== undefined,
      interfaceName: local?.interface,
      maxLeases: net.max_leases ?? poolSize,
      reserved,
    };
  });
}

export function networkContaining(networks: readonly ServedNetwork[], ip: string): ServedNetwork | undefined {
  const n = ipv4ToNumber(ip);
  if (n === null || n === 0) return undefined;
  return networks.find((net) => n >= net.first && n <= net.last);
}

export function inPool(net: ServedNetwork, ip: string): boolean {
  const n = ipv4ToNumber(ip);
  return n !== null && net.pool.some(([lo, hi]) => n >= lo && n <= hi);
}
