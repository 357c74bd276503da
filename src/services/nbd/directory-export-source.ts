/**
 * An NbdExportSource over a folder, for tests, benchmarks and setups without
 * the images catalog:
 *
 *   <root>/<name>                 a file: export `<name>`
 *   <root>/<image>/<version>      a folder of versions: export `<image>@<version>`
 *   <root>/<image>/current        symlink to one version: export `<image>`
 *                                 (without it, the greatest version name)
 *
 * Switching `current` (`ln -sfn v2 current.tmp && mv -T current.tmp current`)
 * changes what new connections get; open connections keep their file.
 */
import { readdir, readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import { openFileExport } from "./file-export-handle.js";
import type {
  NbdClientInfo,
  NbdCowSetting,
  NbdExportHandle,
  NbdExportInfo,
  NbdExportSource,
} from "./nbd-export-source.js";

export interface DirectoryExportSourceOptions {
  readonly root: string;
  /** Copy-on-write for a client, e.g. from the resolved machine config; default none. */
  readonly cowFor?: ((exportName: string, client: NbdClientInfo) => NbdCowSetting | undefined) | undefined;
  /** What the empty name ("default export") opens; default none. */
  readonly defaultExport?: string | undefined;
  /** Serve files writable when no copy-on-write applies; default false (read-only). */
  readonly writable?: boolean | undefined;
}

/** A path component that cannot climb out of the root or name a hidden file. */
const PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const CURRENT = "current";

export class DirectoryExportSource implements NbdExportSource {
  readonly #o: DirectoryExportSourceOptions;
  readonly #inUse = new Map<string, number>();

  constructor(options: DirectoryExportSourceOptions) {
    this.#o = options;
  }

  /** Connections holding this canonical export (`image@version` or a plain file's name). */
  inUse(name: string): number {
    return this.#inUse.get(name) ?? 0;
  }

  async open(name: string, client: NbdClientInfo): Promise<NbdExportHandle | null> {
    if (name === "") {
      if (this.#o.defaultExport === undefined) return null;
      name = this.#o.defaultExport;
    }
    const at = name.indexOf("@");
    const image = at < 0 ? name : name.slice(0, at);
    const pinned = at < 0 ? undefined : name.slice(at + 1);
    if (!PART.test(image) || (pinned !== undefined && (!PART.test(pinned) || pinned === CURRENT)))
      return null;

    const imagePath = join(this.#o.root, image);
    const st = await stat(imagePath).catch(() => null);
    if (!st) return null;
    if (st.isFile()) {
      return pinned === undefined ? this.#openFile(imagePath, image, `file ${image}`, client) : null;
    }
    if (!st.isDirectory()) return null;
    // `current` can move between resolving it and opening the file, and the
    // old version can be removed then: resolve again once.
    for (let attempt = 0; ; attempt++) {
      const version = pinned ?? (await this.#currentVersion(imagePath));
      if (version === undefined) return null;
      const canonical = `${image}@${version}`;
      try {
        return await this.#openFile(
          join(imagePath, version),
          canonical,
          `${image} version ${version}`,
          client,
        );
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        if (pinned !== undefined || attempt > 0) return null;
      }
    }
  }

  async list(): Promise<readonly NbdExportInfo[]> {
    const out: NbdExportInfo[] = [];
    const entries = await readdir(this.#o.root, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!PART.test(e.name)) continue;
      if (e.isFile()) {
        out.push({ name: e.name, description: `file ${e.name}` });
      } else if (e.isDirectory()) {
        const dir = join(this.#o.root, e.name);
        const current = await this.#currentVersion(dir);
        if (current === undefined) continue;
        out.push({ name: e.name, description: `${e.name} (current: ${current})` });
        for (const v of await this.#versions(dir)) {
          out.push({ name: `${e.name}@${v}`, description: `${e.name} version ${v}` });
        }
      }
    }
    return out;
  }

  async #versions(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isFile() && e.name !== CURRENT && PART.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  async #currentVersion(dir: string): Promise<string | undefined> {
    const target = await readlink(join(dir, CURRENT)).catch(() => undefined);
    if (target !== undefined) return PART.test(target) ? target : undefined;
    return (await this.#versions(dir)).at(-1);
  }

  async #openFile(path: string, canonical: string, description: string, client: NbdClientInfo) {
    const cow = this.#o.cowFor?.(canonical, client);
    const handle = await openFileExport(path, {
      name: canonical,
      description,
      readOnly: cow !== undefined || !this.#o.writable,
      cow,
      onRelease: () => {
        const n = (this.#inUse.get(canonical) ?? 1) - 1;
        if (n <= 0) this.#inUse.delete(canonical);
        else this.#inUse.set(canonical, n);
      },
    });
    this.#inUse.set(canonical, (this.#inUse.get(canonical) ?? 0) + 1);
    return handle;
  }
}
