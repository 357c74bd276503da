/**
 * The IPv4 default routes of this machine, read from /proc/net/route: the
 * interface a first-run config serves unless told otherwise is the one the
 * machine itself reaches the rest of the network by.
 */

export interface DefaultRoute {
  readonly interface: string;
  /** Next hop, or undefined for a default route straight onto a link (no RTF_GATEWAY). */
  readonly gateway?: string | undefined;
  readonly metric: number;
}

/** route.h: the route is usable. */
const RTF_UP = 0x0001;
/** route.h: the destination is reached through `gateway`. */
const RTF_GATEWAY = 0x0002;

/**
 * Default routes (destination and mask 0) that are up, lowest metric first.
 * The kernel prints each address as the hex of a 32-bit word in host byte
 * order (fib_route_seq_show: "%08X" of a __be32), so on a little-endian
 * machine 192.168.1.1 reads "0101A8C0".
 */
export function defaultRoutes(procNetRoute: string, endianness: "LE" | "BE"): DefaultRoute[] {
  const routes: DefaultRoute[] = [];
  for (const line of procNetRoute.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, destination, gateway, flags, , , metric, mask] = f;
    if (destination !== "00000000" || mask !== "00000000") continue;
    const bits = Number.parseInt(flags!, 16);
    if (!(bits & RTF_UP)) continue;
    routes.push({
      interface: iface!,
      gateway: bits & RTF_GATEWAY ? hexAddress(gateway!, endianness) : undefined,
      metric: Number(metric),
    });
  }
  return routes.sort((a, b) => a.metric - b.metric);
}

function hexAddress(hex: string, endianness: "LE" | "BE"): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const octets = [...Buffer.from(hex, "hex")];
  return (endianness === "LE" ? octets.reverse() : octets).join(".");
}
