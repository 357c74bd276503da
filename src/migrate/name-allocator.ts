/**
 * Free names for what an import creates: `pc`, else `pc-2`, `pc-3`, ...
 * It remembers, for each name, the suffix to try next, so that a file that
 * declares the same host, group or label thousands of times costs one
 * lookup per declaration, not a walk over every suffix given out before.
 */
export class NameAllocator {
  readonly #taken: (name: string) => boolean;
  /** Lower-case name -> the next suffix worth trying. */
  readonly #next = new Map<string, number>();

  /** `taken` says whether a name is in use (names compare as `taken` compares them). */
  constructor(taken: (name: string) => boolean) {
    this.#taken = taken;
  }

  /** `name` when it is free, else `name-N` with the smallest N not tried before for this name. */
  free(name: string): string {
    if (!this.#taken(name)) return name;
    const key = name.toLowerCase();
    let n = this.#next.get(key) ?? 2;
    while (this.#taken(`${name}-${n}`)) n++;
    this.#next.set(key, n + 1);
    return `${name}-${n}`;
  }
}
