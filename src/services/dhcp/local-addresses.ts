import { networkInterfaces } from "node:os";
import type { LocalAddress } from "./served-network.js";

/** This machine's IPv4 addresses by interface (os.networkInterfaces()), loopback left out. */
export function localAddresses(): LocalAddress[] {
  const out: LocalAddress[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family !== "IPv4" || a.internal) continue;
      const prefix = Number(a.cidr?.split("/")[1] ?? 32);
      out.push({ interface: name, address: a.address, prefix });
    }
  }
  return out;
}
