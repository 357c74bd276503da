/**
 * The addresses the config fixes for its hosts (`hosts: { name: { mac, ip } }`):
 * the administrator's own word on which machine is where, so it wins over
 * every other piece of evidence. A host declared with only an address and no
 * MAC names no machine here; DHCP evidence decides for it.
 */
import type { Host } from "../config/model.js";

export class FixedAddresses {
  readonly #macAt = new Map<string, string>();
  readonly #addressOf = new Map<string, string>();

  constructor(hosts: readonly Host[]) {
    for (const h of hosts) {
      if (!h.mac || !h.ip) continue;
      // The loader refuses duplicates; should one slip through, the first host keeps it.
      if (!this.#macAt.has(h.ip)) this.#macAt.set(h.ip, h.mac);
      if (!this.#addressOf.has(h.mac)) this.#addressOf.set(h.mac, h.ip);
    }
  }

  /** The MAC of the host whose fixed address `ip` is. */
  macAt(ip: string): string | undefined {
    return this.#macAt.get(ip);
  }

  /** The fixed address of the host with this MAC. */
  addressOf(mac: string): string | undefined {
    return this.#addressOf.get(mac);
  }
}
