import { broadcastOf, formatIpv4, parseCidr } from "../config/net-address.js";
import type { Cidr } from "../config/model.js";
import { WolError } from "./wol-error.js";

/**
 * Where a magic packet for a network goes: its directed broadcast address
 * (RFC 919/922), which the server's own interface in that network sends
 * to all hosts on the link, and a router may forward to a remote subnet
 * when configured for it (`ip directed-broadcast`).
 */
export function broadcastAddress(subnet: Cidr | string): string {
  const cidr = typeof subnet === "string" ? parseCidr(subnet) : subnet;
  if (cidr === null)
    throw new WolError(`wol: '${String(subnet)}' is not a network (write it as 198.18.0.0/24)`);
  return formatIpv4(broadcastOf(cidr));
}
