/**
 * IPv4 address ranges (the imported networks), merged and sorted, so that
 * "is this host's address in any of them" is a binary search rather than a
 * walk over every network for every host.
 */
export class AddressRanges {
  readonly #ranges: readonly { readonly first: number; readonly last: number }[];

  constructor(ranges: readonly { readonly first: number; readonly last: number }[]) {
    const merged: { first: number; last: number }[] = [];
    for (const r of [...ranges].sort((a, b) => a.first - b.first)) {
      const prev = merged[merged.length - 1];
      if (prev && r.first <= prev.last + 1) prev.last = Math.max(prev.last, r.last);
      else merged.push({ ...r });
    }
    this.#ranges = merged;
  }

  get empty(): boolean {
    return this.#ranges.length === 0;
  }

  contains(n: number): boolean {
    let lo = 0;
    let hi = this.#ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.#ranges[mid]!;
      if (n < r.first) hi = mid;
      else if (n > r.last) lo = mid + 1;
      else return true;
    }
    return false;
  }
}
