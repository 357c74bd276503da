/**
 * The config resolver with its answers memoised. An answer depends only on
 * the facts and the config, which is a frozen snapshot for the life of one
 * DHCP handler (a reload builds a new one); resolving merges every layer,
 * and a renewing fleet asks the same question over and over.
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
    const key = `${facts.mac}|${facts.ip}|${facts.arch}|${facts.vendorClass}|${facts.userClass}|${facts.ipxe}|${facts.relay}`;
    let machine = this.#resolved.get(key);
    if (!machine) {
      machine = this.#resolver.resolve(facts);
      if (this.#resolved.size >= RESOLVE_CACHE) this.#resolved.clear();
      this.#resolved.set(key, machine);
    }
    return machine;
  }

  findHost(query: string): Host | undefined {
    return this.#resolver.findHost(query);
  }
}
