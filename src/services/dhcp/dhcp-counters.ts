/**
 * Counters of what the DHCP service did with each packet, for metrics and
 * tests ("counters increased" on every drop). Plain numbers by name; the
 * metrics exporter reads snapshot().
 */
export class DhcpCounters {
  readonly #counts = new Map<string, number>();

  add(name: string, n = 1): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + n);
  }

  get(name: string): number {
    return this.#counts.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
