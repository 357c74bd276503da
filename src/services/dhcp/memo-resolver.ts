/**
 * The config resolver with its answers memoised. An answer depends only on
 * the facts and the config, which is a frozen snapshot for the life of one
 * DHCP handler (a reload builds a new one); resolving merges every layer,
 * and a renewing fleet asks the same question over and over.
 *
 * One answer per MAC, the last: a machine's DISCOVER and REQUEST carry the
 * same facts, and they change only between its boot stages (PXE ROM, iPXE,
 * the OS), so the last answer is the one asked for again. It is looked up
 * by MAC and its facts compared field by field, without building a key
 * string for every packet.
 */
import type { Host, MachineFacts, ResolvedMachine, Resolver } from "../../config/model.js";

/** Answers kept at most (a flood of random MACs only empties the memo). */
const RESOLVE_CACHE = 10_000;

export class MemoResolver implements Resolver {
  readonly #resolver: Resolver;
  readonly #resolved = new Map<string, ResolvedMachine>();

  constructor(resolver: Resolver) {
    this.#resolver = resolver;
  }

  resolve(facts: MachineFacts): ResolvedMachine {
    const known = this.#resolved.get(facts.mac);
    if (known !== undefined && sameFacts(known.facts, facts)) return known;
    const machine = this.#resolver.resolve(facts);
    if (known === undefined && this.#resolved.size >= RESOLVE_CACHE) this.#resolved.clear();
    this.#resolved.set(facts.mac, machine);
    return machine;
  }

  findHost(query: string): Host | undefined {
    return this.#resolver.findHost(query);
  }
}

function sameFacts(a: MachineFacts, b: MachineFacts): boolean {
  return (
    a.mac === b.mac &&
    a.ip === b.ip &&
    a.hostname === b.hostname &&
    a.arch === b.arch &&
    a.vendorClass === b.vendorClass &&
    a.userClass === b.userClass &&
    a.ipxe === b.ipxe &&
    a.relay === b.relay
  );
}
