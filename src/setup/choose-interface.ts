/**
 * Which interface, address and subnet a first-run config serves: the one
 * named with --interface, else the one the default route leaves by, else the
 * only one there is. Pure: the interfaces (os.networkInterfaces()) and the
 * default routes are handed in.
 */
import type { NetworkInterfaceInfo } from "node:os";
import { ipv4ToNumber } from "../protocols/ipv4-address.js";
import type { DefaultRoute } from "./default-routes.js";
import { SetupError } from "./setup-error.js";

export type InterfaceTable = Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>;

/** One IPv4 address of an interface, as a config names it. */
export interface InterfaceAddress {
  readonly name: string;
  readonly address: string;
  readonly prefix: number;
}

export interface InterfaceChoice extends InterfaceAddress {
  /** aa:bb:cc:dd:ee:ff; all zeros for interfaces without one (tun, some bridges). */
  readonly mac: string;
  /** The default route's next hop when it lies in this subnet: the clients' router in full mode. */
  readonly gateway?: string | undefined;
  /** Why this interface, in words for the config's header. */
  readonly reason: string;
  /** The machine's other IPv4 interfaces, so the header can say how to serve one of them instead. */
  readonly others: readonly InterfaceAddress[];
}

export function chooseInterface(
  interfaces: InterfaceTable,
  routes: readonly DefaultRoute[],
  named?: string | undefined,
): InterfaceChoice {
  const usable = usableAddresses(interfaces);
  const listing = () =>
    usable.length
      ? `this machine has ${usable.map((a) => `${a.name} (${a.address}/${a.prefix})`).join(", ")}`
      : "this machine has no IPv4 address outside loopback";
  let name: string;
  let reason: string;
  let gateway: string | undefined;
  if (named !== undefined) {
    const list = interfaces[named];
    if (!list) throw new SetupError(`there is no interface '${named}'`, `${listing()}; name one of those`);
    if (list.every((a) => a.internal))
      throw new SetupError(`'${named}' is the loopback interface`, `clients cannot reach it; ${listing()}`);
    name = named;
    reason = "named with --interface";
    gateway = routes.find((r) => r.interface === named)?.gateway;
  } else {
    const route = routes.find((r) => usable.some((a) => a.name === r.interface));
    if (route) {
      name = route.interface;
      reason = "the default route leaves by it";
      gateway = route.gateway;
    } else {
      const names = [...new Set(usable.map((a) => a.name))];
      if (names.length !== 1)
        throw new SetupError(
          names.length === 0
            ? "no interface with an IPv4 address to serve"
            : "no default route to tell which interface the clients are on",
          names.length === 0
            ? "give the interface the clients are on an IPv4 address (e.g. with ip addr add), then run init again"
            : `${listing()}; name the one the clients are on with --interface`,
        );
      name = names[0]!;
      reason = "the only interface with an IPv4 address";
    }
  }
  const own = usable.filter((a) => a.name === name);
  if (own.length === 0)
    throw new SetupError(
      `'${name}' has no IPv4 address`,
      `give it one (e.g. with ip addr add), or ${listing()}`,
    );
  // Several addresses on one interface: the one whose subnet holds the router
  // is the one the segment's other machines use.
  const chosen = own.find((a) => gateway !== undefined && sameSubnet(a, gateway)) ?? own[0]!;
  const mac = interfaces[name]?.find((a) => a.address === chosen.address)?.mac ?? "00:00:00:00:00:00";
  return {
    ...chosen,
    mac,
    gateway: gateway !== undefined && sameSubnet(chosen, gateway) ? gateway : undefined,
    reason,
    others: usable.filter((a) => a.name !== name),
  };
}

/** Every IPv4 address outside loopback, interface by interface in the order given. */
export function usableAddresses(interfaces: InterfaceTable): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const [name, list] of Object.entries(interfaces))
    for (const a of list ?? []) {
      if (a.family !== "IPv4" || a.internal) continue;
      out.push({ name, address: a.address, prefix: Number(a.cidr?.split("/")[1] ?? 32) });
    }
  return out;
}

function sameSubnet(a: InterfaceAddress, ip: string): boolean {
  const mine = ipv4ToNumber(a.address);
  const other = ipv4ToNumber(ip);
  if (mine === null || other === null) return false;
  const mask = a.prefix === 0 ? 0 : (0xffffffff << (32 - a.prefix)) >>> 0;
  return (mine & mask) >>> 0 === (other & mask) >>> 0;
}
