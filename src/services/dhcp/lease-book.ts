/**
 * Every lease the DHCP service knows, indexed in memory by address and by
 * (network, MAC), backed by the store.
 *
 * Durability: a binding (ACK), a release and a decline are written to the
 * store and awaited before the reply goes out or the packet is finished, so
 * a server killed at any instant and started again knows every address it
 * ever acknowledged (load() reads them back). Offers are kept in memory
 * only: an offer promises nothing (RFC 2131 §4.3.1 "the server need not
 * reserve the offered address"), and a REQUEST for an address another MAC
 * holds is refused at bind time, so a lost offer can never hand one address
 * to two machines.
 *
 * Offers reserve nothing either (Kea holds nothing on OFFER): they do not
 * count against max_leases, and an address offered to one MAC is still
 * available to another; the first REQUEST binds it and a later one gets a
 * NAK. A flood of DISCOVERs from made-up MACs therefore takes no address
 * from a real client. An offer only steers the next new client to another
 * free address while there is one, so a lab that powers on at once is not
 * offered one address twenty times over.
 *
 * Leases are keyed by chaddr, not by client identifier (option 61): a
 * netbooting machine's PXE ROM, iPXE and its OS each send a different
 * identifier (or none) for one NIC, and it should keep one address from
 * power-on to login (ISC dhcpd's `ignore-client-uids`). The identifier is
 * still stored.
 *
 * The index is changed synchronously before any store write is awaited, so
 * two packets handled concurrently never pick the same free address.
 *
 * With several servers on one PostgreSQL (docs/ha.md) the index is a cache
 * of the shared table and the database decides: writes go through a
 * LeaseSink that may refuse an address another server bound first
 * (LeaseTakenError, carrying the winner's row), and rows the other servers
 * wrote arrive through absorb() (shared-lease-book.ts).
 */
import type { Clock } from "../../events/event-bus.js";
import { numberToIpv4 } from "../../protocols/ipv4-address.js";
import type { LeaseRow, Store } from "../../store/store.js";
import { LeaseTakenError } from "./lease-taken-error.js";
import { LeaseWriter } from "./lease-writer.js";
import type { ServedNetwork } from "./served-network.js";

export type AllocationFailure = "exhausted" | "cap";

/** Where the book's writes go: the store (lease-writer.ts) or the shared arbiter (lease-claim-sink.ts). */
export interface LeaseSink {
  /** Resolves once the row is stored; rejects with LeaseTakenError when another MAC holds the address. */
  write(row: LeaseRow): Promise<void>;
  /** Drops the row of `mac` at `ip` (the MAC moved to its reserved address). */
  forget(row: LeaseRow): Promise<void>;
}

export interface LeaseBookOptions {
  /** Default: the store, through the group-commit writer. */
  readonly sink?: LeaseSink | undefined;
  /**
   * This server's share of each pool, as (index, count): the free-address
   * search starts at index/count of the pool, so servers sharing one pool
   * pick different addresses and rarely race for one.
   */
  readonly share?: { readonly index: number; readonly count: number } | undefined;
}

const bound = (row: LeaseRow, now: number) => row.state === "bound" && row.expires > now;
const offered = (row: LeaseRow, now: number) => row.state === "offered" && row.expires > now;

export class LeaseBook {
  readonly #store: Store;
  readonly #sink: LeaseSink;
  readonly #clock: Clock;
  readonly #share: { readonly index: number; readonly count: number };
  readonly #byIp = new Map<string, LeaseRow>();
  /** `${network} ${mac}` -> that MAC's lease in that network. */
  readonly #byMac = new Map<string, LeaseRow>();
  /** network -> addresses with a running binding (for max_leases). */
  readonly #bound = new Map<string, Set<string>>();
  /** network -> pool index to start the next free-address search at. */
  readonly #cursor = new Map<string, number>();

  constructor(store: Store, clock: Clock, options: LeaseBookOptions = {}) {
    this.#store = store;
    this.#sink = options.sink ?? storeSink(store);
    this.#clock = clock;
    this.#share = options.share ?? { index: 0, count: 1 };
  }

  /** Reads every stored lease back (at start, after a restart or a crash). */
  async load(): Promise<number> {
    const rows = await this.#store.listLeases();
    for (const row of rows) this.#index(row);
    return rows.length;
  }

  byIp(ip: string): LeaseRow | undefined {
    return this.#byIp.get(ip);
  }

  forMac(net: ServedNetwork, mac: string): LeaseRow | undefined {
    const row = this.#byMac.get(`${net.cidr} ${mac}`);
    // The address may since have gone to another MAC (after this one's expired).
    return row && this.#byIp.get(row.ip) === row ? row : undefined;
  }

  /**
   * May `mac` have `ip` now? Not when it is reserved for another host, in a
   * running decline quarantine, or bound to another MAC. An offer to
   * another MAC does not stand in the way (see the header).
   */
  availableFor(net: ServedNetwork, ip: string, mac: string): boolean {
    const now = this.#clock.now();
    const owner = net.reserved.get(ip);
    if (owner !== undefined && owner !== mac) return false;
    const row = this.#byIp.get(ip);
    if (!row) return true;
    if (row.state === "declined" && row.expires > now) return false;
    return row.mac === mac || !bound(row, now);
  }

  /** Is `ip` in a running offer to a MAC other than `mac`? */
  offeredToAnother(ip: string, mac: string): boolean {
    const row = this.#byIp.get(ip);
    return row !== undefined && row.mac !== mac && offered(row, this.#clock.now());
  }

  /** Does `mac` hold a running binding of `ip` (already counted against max_leases)? */
  isBoundTo(ip: string, mac: string): boolean {
    const row = this.#byIp.get(ip);
    return row !== undefined && row.mac === mac && bound(row, this.#clock.now());
  }

  /**
   * The milliseconds left of `mac`'s running binding of `ip` when a client
   * asking for it again may get it unchanged, with nothing written: it was
   * granted less than `threshold` (a fraction) of `leaseMs` ago, to the same
   * hostname and client identifier, and ends no later than a new lease of
   * `leaseMs` would. Otherwise undefined. This is ISC dhcpd's
   * dhcp-cache-threshold (default 25%) and Kea's cache-threshold: a netboot
   * machine asks three times in its first minute (PXE ROM, iPXE, the OS),
   * and a lab that reboots asks again within minutes; each would otherwise
   * be a store write before its ACK.
   */
  reusable(
    ip: string,
    mac: string,
    network: string,
    same: Pick<LeaseRow, "hostname" | "clientId">,
    leaseMs: number,
    threshold: number,
  ): number | undefined {
    if (!(threshold > 0)) return undefined;
    const row = this.#byIp.get(ip);
    const now = this.#clock.now();
    if (!row || row.mac !== mac || row.network !== network || !bound(row, now)) return undefined;
    if (row.hostname !== same.hostname || row.clientId !== same.clientId) return undefined;
    const age = now - row.start;
    const left = row.expires - now;
    return age >= 0 && age < threshold * leaseMs && left <= leaseMs ? left : undefined;
  }

  /** Running bindings in the network, for max_leases (expired ones are pruned first when near the cap). */
  bindings(net: ServedNetwork): number {
    const set = this.#bound.get(net.cidr);
    if (!set) return 0;
    if (set.size >= net.maxLeases) {
      const now = this.#clock.now();
      for (const ip of set) {
        const row = this.#byIp.get(ip);
        if (!row || !bound(row, now)) set.delete(ip);
      }
    }
    return set.size;
  }

  /**
   * A free pool address for a new lease: one never leased first (from a
   * rotating cursor, so addresses are reused as late as possible), else one
   * whose lease ran out or was released, else one offered to another MAC,
   * the next after the cursor (so offers are taken over in turn, the one
   * made longest ago first): only bindings use an address up. Ping-free: no ICMP
   * probe before the offer (dhcpd and dnsmasq ping); a client that finds the
   * address in use sends DHCPDECLINE (RFC 2131 §4.4.1) and the address is
   * quarantined.
   */
  freeAddress(net: ServedNetwork, mac: string): string | AllocationFailure {
    if (this.bindings(net) >= net.maxLeases) return "cap";
    const size = net.poolSize;
    const start = this.#cursor.get(net.cidr) ?? Math.floor((size * this.#share.index) / this.#share.count);
    let reusable: string | undefined;
    let offer: { ip: string; index: number } | undefined;
    for (let k = 0; k < size; k++) {
      const index = (start + k) % size;
      const ip = numberToIpv4(poolAddress(net, index));
      if (net.reserved.has(ip)) continue;
      if (!this.#byIp.has(ip)) {
        this.#cursor.set(net.cidr, (index + 1) % size);
        return ip;
      }
      if (reusable !== undefined || !this.availableFor(net, ip, mac)) continue;
      if (!this.offeredToAnother(ip, mac)) reusable = ip;
      else offer ??= { ip, index };
    }
    if (reusable !== undefined) return reusable;
    if (offer === undefined) return "exhausted";
    this.#cursor.set(net.cidr, (offer.index + 1) % size);
    return offer.ip;
  }

  /** Records an offer in memory (see the header: offers are not persisted and reserve nothing). */
  offer(
    net: ServedNetwork,
    mac: string,
    ip: string,
    holdMs: number,
    extra: Pick<LeaseRow, "hostname" | "clientId">,
  ): void {
    const now = this.#clock.now();
    const row = this.#byIp.get(ip);
    // A running binding of this MAC stays as it is: the offer only repeats it.
    if (row && row.mac === mac && row.state === "bound" && row.expires > now) return;
    this.#index({
      ip,
      mac,
      network: net.cidr,
      state: "offered",
      start: now,
      expires: now + holdMs,
      ...extra,
    });
  }

  /** Forgets this MAC's running offers (it chose another server: RFC 2131 §4.3.2). */
  dropOffers(mac: string): void {
    for (const [key, row] of this.#byMac) {
      if (row.mac === mac && row.state === "offered" && this.#byIp.get(row.ip) === row) {
        this.#byIp.delete(row.ip);
        this.#byMac.delete(key);
        this.#bound.get(row.network)?.delete(row.ip);
      }
    }
  }

  /**
   * Takes in a row another server wrote (it is newer than what the index
   * holds for that address), so this server neither offers an address bound
   * elsewhere nor refuses a renewal the other server granted.
   */
  absorb(row: LeaseRow): void {
    const mine = this.#byIp.get(row.ip);
    // A running offer of ours is only a hint; a stored row of the same MAC
    // written no later than ours is not news.
    if (mine && mine.state !== "offered" && mine.mac === row.mac && mine.start > row.start) return;
    this.#index(row);
  }

  /**
   * Writes a lease (bound, released, declined) to the store and the index.
   * Resolves once the store has it; on a store failure the index is put back
   * and the error thrown, so no ACK goes out for an unrecorded binding. When
   * the shared arbiter refuses the address, the index takes the winner's row
   * and the LeaseTakenError is thrown for the exchange to NAK.
   */
  async commit(row: LeaseRow): Promise<void> {
    const before = this.#byIp.get(row.ip);
    const key = `${row.network} ${row.mac}`;
    const previousOfMac = this.#byMac.get(key);
    this.#index(row);
    try {
      await this.#sink.write(row);
      // The MAC moved to another address (a new reservation): free the old one.
      if (row.state === "bound" && previousOfMac && previousOfMac.ip !== row.ip) {
        if (this.#byIp.get(previousOfMac.ip) === previousOfMac) {
          this.#byIp.delete(previousOfMac.ip);
          this.#bound.get(previousOfMac.network)?.delete(previousOfMac.ip);
          await this.#sink.forget(previousOfMac);
        }
      }
    } catch (err) {
      if (this.#byIp.get(row.ip) === row) {
        // Refused by the shared table: the index learns who holds the address.
        const restore = (err instanceof LeaseTakenError ? err.holder : null) ?? before;
        if (restore) this.#index(restore);
        else {
          this.#byIp.delete(row.ip);
          this.#bound.get(row.network)?.delete(row.ip);
        }
        if (previousOfMac) this.#byMac.set(key, previousOfMac);
        else if (this.#byMac.get(key) === row) this.#byMac.delete(key);
      }
      throw err;
    }
  }

  /** Marks leases whose time ran out as expired, in memory and in the store. */
  async expire(): Promise<LeaseRow[]> {
    const now = this.#clock.now();
    const gone: LeaseRow[] = [];
    for (const row of this.#byIp.values()) {
      if ((row.state === "offered" || row.state === "bound") && row.expires <= now) {
        const expired: LeaseRow = { ...row, state: "expired" };
        this.#index(expired);
        if (row.state === "bound") gone.push(expired);
      }
    }
    if (gone.length > 0) await this.#store.expireLeases(now);
    return gone;
  }

  #index(row: LeaseRow): void {
    const prev = this.#byIp.get(row.ip);
    if (prev && prev.mac !== row.mac) {
      const prevKey = `${prev.network} ${prev.mac}`;
      if (this.#byMac.get(prevKey) === prev) this.#byMac.delete(prevKey);
    }
    if (prev && prev.network !== row.network) this.#bound.get(prev.network)?.delete(row.ip);
    this.#byIp.set(row.ip, row);
    this.#byMac.set(`${row.network} ${row.mac}`, row);
    let set = this.#bound.get(row.network);
    if (!set) this.#bound.set(row.network, (set = new Set()));
    if (row.state === "bound") set.add(row.ip);
    else set.delete(row.ip);
  }
}

/** The single-server sink: group-committed store writes. */
function storeSink(store: Store): LeaseSink {
  const writer = new LeaseWriter(store);
  return {
    write: (row) => writer.write(row),
    forget: (row) => store.deleteLease(row.ip),
  };
}

function poolAddress(net: ServedNetwork, index: number): number {
  for (const [lo, hi] of net.pool) {
    const n = hi - lo + 1;
    if (index < n) return lo + index;
    index -= n;
  }
  throw new RangeError(`pool index ${index} past the pool of ${net.cidr}`);
}
