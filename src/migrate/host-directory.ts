/**
 * The hosts of a draft, found by name (case-insensitively, as DNS names
 * compare), by MAC and by address in constant time: an import looks a host
 * up for every declaration it reads, and a fleet of 25,000 machines must
 * not cost 25,000 walks over the hosts read so far. A host tells its
 * directory when its MAC or address changes, so the indexes never go stale.
 *
 * A host known only by its MAC (pxelinux.cfg/01-<mac> names no host) is
 * added as a stand-in: lookups by MAC do not find it, and the first host
 * declared with that MAC by another input (a dhcpd.conf host ws01)
 * takes its place and its values, whichever file the user named first.
 */
import type { HostDraft } from "./config-draft.js";
import { NameAllocator } from "./name-allocator.js";

export type HostKey = "mac" | "ip";

export class HostDirectory {
  /** By name as written, in the order the hosts were added (the output order). */
  readonly #byName = new Map<string, HostDraft>();
  readonly #byLowerName = new Map<string, HostDraft>();
  /** Hosts by MAC and by address; several only when two inputs disagree (finalizeDraft reports that). */
  readonly #byKey: Readonly<Record<HostKey, Map<string, HostDraft[]>>> = { mac: new Map(), ip: new Map() };
  /** When each host was added: of several with one MAC, the first declared is the one dhcpd matches. */
  readonly #order = new Map<HostDraft, number>();
  readonly #names = new NameAllocator((name) => this.#byLowerName.has(name.toLowerCase()));
  /** Stand-ins by MAC, until a declared host takes their place. */
  readonly #standIns = new Map<string, HostDraft>();

  get all(): ReadonlyMap<string, HostDraft> {
    return this.#byName;
  }

  add(host: HostDraft): void {
    if (host.mac !== undefined) this.#replaceStandIn(host, host.mac);
    this.#byName.set(host.name, host);
    this.#byLowerName.set(host.name.toLowerCase(), host);
    this.#order.set(host, this.#order.size);
    if (host.mac !== undefined) this.#index("mac", host, host.mac);
    if (host.ip !== undefined) this.#index("ip", host, host.ip);
    host.listenForKeys(this);
  }

  /** Adds a host known only by its MAC; the first host added with that MAC replaces it. */
  addStandIn(host: HostDraft): void {
    this.#byName.set(host.name, host);
    this.#byLowerName.set(host.name.toLowerCase(), host);
    this.#order.set(host, this.#order.size);
    if (host.mac !== undefined) this.#standIns.set(host.mac, host);
  }

  /** The stand-in for this MAC, while no declared host has taken its place. */
  standIn(mac: string): HostDraft | undefined {
    return this.#standIns.get(mac);
  }

  byName(name: string): HostDraft | undefined {
    return this.#byLowerName.get(name.toLowerCase());
  }

  /** The first host added with this MAC or address. */
  byKey(key: HostKey, value: string): HostDraft | undefined {
    const hosts = this.#byKey[key].get(value);
    if (!hosts || hosts.length === 0) return undefined;
    let first = hosts[0]!;
    for (const h of hosts) if (this.#order.get(h)! < this.#order.get(first)!) first = h;
    return first;
  }

  freeName(name: string): string {
    return this.#names.free(name);
  }

  /** Called by a host whose MAC or address changed. */
  keyChanged(host: HostDraft, key: HostKey, from: string | undefined, to: string | undefined): void {
    if (from !== undefined) {
      const hosts = this.#byKey[key].get(from);
      const i = hosts?.indexOf(host) ?? -1;
      if (i >= 0) hosts!.splice(i, 1);
      if (hosts?.length === 0) this.#byKey[key].delete(from);
    }
    if (to !== undefined) {
      if (key === "mac") this.#replaceStandIn(host, to);
      this.#index(key, host, to);
    }
  }

  /** `host`, declared with `mac`, takes the place and values of that MAC's stand-in. */
  #replaceStandIn(host: HostDraft, mac: string): void {
    const standIn = this.#standIns.get(mac);
    if (!standIn || standIn === host) return;
    this.#standIns.delete(mac);
    this.#byName.delete(standIn.name);
    this.#byLowerName.delete(standIn.name.toLowerCase());
    this.#order.delete(standIn);
    standIn.mac = undefined;
    host.absorb(standIn);
    host.header.push(`takes the place of ${standIn.name}, the stand-in for its MAC`);
  }

  #index(key: HostKey, host: HostDraft, value: string): void {
    const hosts = this.#byKey[key].get(value);
    if (hosts) hosts.push(host);
    else this.#byKey[key].set(value, [host]);
  }
}
