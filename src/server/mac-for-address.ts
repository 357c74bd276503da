/**
 * Which machine an IPv4 address belongs to, for services that see only the
 * peer's address (NBD, syslog): its lease (full DHCP), else a fixed address
 * in the config, else — in proxy mode, where another server leased it — the
 * machine that last reported from it (HTTP fetches, the hook's stages).
 */
import type { Resolver } from "../config/model.js";
import type { Store } from "../store/store.js";

export async function macForAddress(store: Store, resolver: Resolver, ip: string): Promise<string | null> {
  const lease = await store.getLeaseByIp(ip).catch(() => null);
  if (lease && lease.state !== "released" && lease.state !== "expired") return lease.mac;
  const host = resolver.findHost(ip)?.mac;
  if (host) return host;
  // A scan: NBD connects once per boot and syslog lookups are cached by the caller's volume.
  const seen = (await store.listMachines().catch(() => [])).filter((m) => m.ip === ip);
  seen.sort((a, b) => b.lastSeen - a.lastSeen);
  return seen[0]?.mac ?? lease?.mac ?? null;
}
