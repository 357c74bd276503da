/**
 * Which clients this server answers, modelled on Kea's High Availability
 * (its "scopes"):
 * - load-balancing: a client belongs to peers[hash % peers.length], the
 *   hash being RFC 3074's over its MAC (Kea: `lb_hash % active_servers`), so
 *   every server agrees on the split without talking. Kea hashes option 61
 *   first when present; the MAC here, because leases are keyed by chaddr
 *   (lease-book.ts) and a netbooting NIC sends a different option 61 from
 *   its PXE ROM, iPXE and its OS, which would move it between servers
 *   mid-boot. When the owner's
 *   heartbeat is older than failover_after, the next live peer in the list
 *   answers its clients too.
 * - hot-standby: the first live peer in the list answers every client.
 * This server counts as live itself. A peer that has never beaten is taken
 * as live until failover_after has passed since this server started, so a
 * server starting alone waits that long before taking every client.
 * The database still decides every lease (lease-claims.ts): a scope that
 * overlaps for a moment costs a duplicate offer, never a duplicate address.
 */
import type { HaConfig } from "../config/model.js";
import { macHash } from "./load-balance-hash.js";

export class HaScope {
  readonly #config: HaConfig;
  readonly #self: number;
  /** Peers whose heartbeat is recent enough, by index in config.peers. */
  #live: readonly boolean[];

  constructor(config: HaConfig) {
    this.#config = config;
    this.#self = config.peers.indexOf(config.this_server);
    this.#live = config.peers.map(() => true);
  }

  /** This server's index among the peers. */
  get index(): number {
    return this.#self;
  }

  /** The peers taken for dead now. */
  get down(): readonly string[] {
    return this.#config.peers.filter((_, i) => !this.#live[i]);
  }

  /**
   * Takes in the heartbeat ages the store measured (milliseconds) and how
   * long this server has run; returns the peers whose state changed.
   */
  update(ages: ReadonlyMap<string, number>, upMs: number): readonly string[] {
    const limit = this.#config.failover_after * 1000;
    const live = this.#config.peers.map((name, i) => i === this.#self || (ages.get(name) ?? upMs) <= limit);
    const changed = this.#config.peers.filter((_, i) => live[i] !== this.#live[i]);
    this.#live = live;
    return changed;
  }

  serves(mac: string): boolean {
    const n = this.#config.peers.length;
    const owner = this.#config.mode === "load-balancing" ? macHash(mac) % n : 0;
    for (let k = 0; k < n; k++) {
      const i = (owner + k) % n;
      if (this.#live[i]) return i === this.#self;
    }
    return false;
  }
}
