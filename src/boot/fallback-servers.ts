/**
 * Which other servers the loader (iPXE, GRUB) falls back to for the kernel
 * and initrds: the layer's `servers:` without this one, in the layer's
 * order. This server is always tried first, whatever the list's order: it
 * has just answered the machine's DHCP and served its boot script, so it is
 * alive, and under `ha:` load-balancing it is the server the RFC 3074 hash
 * gave this machine to, which keeps the fleet's downloads split as its
 * leases are. (The client hook's NBD and HTTP order, bootfleet.servers, is
 * the layer's own; see kernel-cmdline.ts.)
 */
import type { FallbackServer } from "./boot-plan.js";

/**
 * `self`: this server's address (`server.address`). `httpBase`: the URL
 * clients reach this server's HTTP service at; the others are assumed to
 * serve on the same port and path, as the client hook assumes when it swaps
 * hosts in a URL (src/client-hook/bootfleet-init.sh, url_hosts).
 */
export function fallbackServers(
  self: string,
  httpBase: string,
  servers: readonly string[] | undefined,
): FallbackServer[] {
  const out: FallbackServer[] = [];
  for (const address of servers ?? []) {
    if (address === self || out.some((s) => s.address === address)) continue;
    out.push({ address, httpBase: withHost(httpBase, address) });
  }
  return out;
}

function withHost(base: string, host: string): string {
  const url = new URL(base);
  url.hostname = host;
  return url.toString().replace(/\/+$/, "");
}
