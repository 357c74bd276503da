/**
 * Proxy mode's evidence: the address each machine was seen using in a DHCP
 * exchange another server answered (its REQUEST carrying option 50 or
 * ciaddr, its PXE request to port 4011 from its own address). Held in memory
 * for answers that never wait on the disk, and written through to the store
 * (address_bindings) so that it survives a restart: renewals go to the other
 * server by unicast and are never seen, so a machine that booted a week ago
 * may never be seen again until it reboots.
 *
 * One machine per address and one address per machine, the last exchange
 * seen winning (the store keeps the same rule). The table is bounded: the
 * oldest binding goes when it is full.
 */
import type { Logger } from "../logging/logger.js";
import type { AddressBindingRow, Store } from "../store/store.js";

/** How a binding was seen. */
export type BindingSource = "dhcp-request" | "pxe-request";

export interface ObservedBinding {
  readonly mac: string;
  readonly ip: string;
  readonly source: BindingSource;
}

/** A repeated sighting of an unchanged binding is written again only after this long (its time stays roughly right). */
const REFRESH_MS = 60 * 60 * 1000;
/** Writes waiting for the store at most; beyond, memory keeps the binding and the write is dropped. */
const MAX_PENDING_WRITES = 1000;

export class ObservedBindings {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #max: number;
  /** By address; Map order is oldest sighting first (a sighting re-inserts). */
  readonly #byIp = new Map<string, AddressBindingRow>();
  readonly #ipOf = new Map<string, string>();
  #writes: Promise<void> = Promise.resolve();
  #pending = 0;
  #droppedWrites = 0;

  private constructor(store: Store, log: Logger, max: number) {
    this.#store = store;
    this.#log = log;
    this.#max = Math.max(1, max);
  }

  /** The bindings kept in the store, oldest sighting first. */
  static async load(store: Store, log: Logger, max: number): Promise<ObservedBindings> {
    const b = new ObservedBindings(store, log, max);
    const rows = [...(await store.listAddressBindings())].sort((x, y) => x.seenAt - y.seenAt);
    for (const row of rows) b.#set(row);
    return b;
  }

  get size(): number {
    return this.#byIp.size;
  }

  macAt(ip: string): string | undefined {
    return this.#byIp.get(ip)?.mac;
  }

  addressOf(mac: string): string | undefined {
    return this.#ipOf.get(mac);
  }

  /** A sighting at `at` (ms since the epoch). */
  record(binding: ObservedBinding, at: number): void {
    const old = this.#byIp.get(binding.ip);
    const unchanged = old?.mac === binding.mac && this.#ipOf.get(binding.mac) === binding.ip;
    if (unchanged && at - old.seenAt < REFRESH_MS) {
      // Keep its place as recently seen; no write for a repeat.
      this.#byIp.delete(binding.ip);
      this.#byIp.set(binding.ip, old);
      return;
    }
    if (!unchanged) this.#log.debug({ ...binding, was: old?.mac }, "identity: address seen in DHCP");
    const row: AddressBindingRow = { ...binding, seenAt: at };
    this.#set(row);
    this.#write(() => this.#store.putAddressBinding(row));
    while (this.#byIp.size > this.#max) {
      const oldest = this.#byIp.keys().next().value as string;
      this.#unset(oldest);
      this.#write(() => this.#store.deleteAddressBinding(oldest));
    }
  }

  /** Resolves when every write queued so far is done. */
  async flush(): Promise<void> {
    await this.#writes;
  }

  #set(row: AddressBindingRow): void {
    // The machine's previous address, and the address's previous machine, are no longer bound.
    const previousIp = this.#ipOf.get(row.mac);
    if (previousIp !== undefined && previousIp !== row.ip) this.#byIp.delete(previousIp);
    const previousMac = this.#byIp.get(row.ip)?.mac;
    if (previousMac !== undefined && previousMac !== row.mac) this.#ipOf.delete(previousMac);
    this.#byIp.delete(row.ip);
    this.#byIp.set(row.ip, row);
    this.#ipOf.set(row.mac, row.ip);
  }

  #unset(ip: string): void {
    const row = this.#byIp.get(ip);
    if (!row) return;
    this.#byIp.delete(ip);
    if (this.#ipOf.get(row.mac) === ip) this.#ipOf.delete(row.mac);
  }

  /** Store writes in order, one at a time, bounded; a failure is logged and the memory stays right. */
  #write(op: () => Promise<void>): void {
    if (this.#pending >= MAX_PENDING_WRITES) {
      if (this.#droppedWrites++ % 1000 === 0)
        this.#log.warn(
          { dropped: this.#droppedWrites },
          "identity: store falling behind, bindings kept in memory only",
        );
      return;
    }
    this.#pending++;
    this.#writes = this.#writes
      .then(op)
      .catch((err) =>
        this.#log.error({ err: (err as Error).message }, "identity: could not store an address binding"),
      )
      .finally(() => this.#pending--);
  }
}
