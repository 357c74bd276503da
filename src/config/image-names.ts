/**
 * The images a layer may name: those declared under `images:`, those the
 * caller knows of, and those already built in the image store
 * (<data_dir>/images/<name>/), so that a config can name an image built
 * with `bootfleet image build` without declaring it.
 */
import { didYouMean } from "./config-error.js";
import type { CheckContext } from "./check-context.js";
import type { KeyPath } from "./source-map.js";

export interface ImageNamesOptions {
  /** Names the caller knows exist besides the declared ones. */
  readonly existing?: readonly string[] | undefined;
  /** Accept any name (for `import` previews, before images are built). */
  readonly skipCheck?: boolean | undefined;
}

export class ImageNames {
  readonly #known: Set<string>;
  readonly #skip: boolean;
  readonly #ctx: CheckContext;

  constructor(declared: readonly string[], dataDir: string, options: ImageNamesOptions, ctx: CheckContext) {
    this.#known = new Set([...declared, ...(options.existing ?? [])]);
    this.#skip = options.skipCheck === true;
    this.#ctx = ctx;
    const store = `${dataDir}/images`;
    if (!this.#skip && ctx.disk.exists(store)) {
      try {
        for (const e of ctx.disk.readDir(store))
          if (e.kind === "folder" && !e.name.startsWith(".")) this.#known.add(e.name);
      } catch {
        // An unreadable image store only means fewer names are known.
      }
    }
  }

  /** Reports `name` at `path` when no such image exists. */
  check(path: KeyPath, name: string | undefined): void {
    if (name === undefined || this.#skip || this.#known.has(name)) return;
    const guess = didYouMean(name, [...this.#known]);
    this.#ctx.problems.report(
      path,
      `image '${name}' does not exist`,
      guess
        ? `did you mean '${guess}'?`
        : `declare it under images:, or build it with 'bootfleet image build ${name} --from DIR'`,
    );
  }
}
