/**
 * The NFS service's exports over the image catalog:
 *
 *   /images/<name>/<version>    the version's root tree (root=/dev/nfs nfsroot=,
 *   /images/<name>              or mounted by the client hook); the bare name
 *                               is the current version at mount time
 *   /squashfs/<name>/<version>  the version's folder itself (root.squashfs,
 *   /squashfs/<name>            vmlinuz, initrd.img), for LTSP 23-style clients
 *                               that loop-mount the squashfs from NFS
 *
 * A mount of the bare name gets the current version's handles, and handles
 * name their version: a mounted client keeps the version it mounted when
 * `image use` moves `current`, like an NBD client keeps its connection's.
 *
 * A loaded tree marks its version in use in the catalog (holder "nfs"), so
 * `image rm` and pruning leave it alone while clients read it. NFS has no
 * connections to say when a client is done, so a tree nobody asked for in
 * `idleMs` is let go (and its version with it), and at most `maxTrees` are
 * loaded, the least recently used one let go past that. A handle of a tree not loaded
 * (after a restart, or from another server) finds its version by the key,
 * so it works as long as this server has that version.
 */
import type { Logger } from "../logging/logger.js";
import { treeKey } from "../services/nfs/file-handle.js";
import { ImageTree } from "../services/nfs/image-tree.js";
import type { NfsExport, NfsExportSource } from "../services/nfs/nfs-export-source.js";
import type { ImageCatalog } from "./image-catalog.js";
import { ImageError } from "./image-error.js";
import { isImageName } from "./image-name.js";
import { isImageVersion } from "./image-version.js";
import type { SquashfsTreeCache } from "./squashfs-tree-cache.js";

type Kind = "root" | "squashfs";

/** How long a key that named no version is answered stale without a search (a build that lands shows up after it). */
const UNKNOWN_KEY_MS = 10_000;
const UNKNOWN_KEYS_KEPT = 1024;

const PREFIX: Readonly<Record<Kind, string>> = { root: "/images", squashfs: "/squashfs" };

export interface CatalogNfsExportsOptions {
  readonly trees: SquashfsTreeCache;
  readonly logger: Logger;
  /** Trees loaded at once (default 16). */
  readonly maxTrees?: number | undefined;
  /** A tree no request asked for in this long is let go (default 10 minutes). */
  readonly idleMs?: number | undefined;
  /** Milliseconds now (tests); default Date.now. */
  readonly now?: (() => number) | undefined;
}

interface Loaded {
  readonly export: Promise<NfsExport>;
  readonly release: () => void;
  usedAt: number;
}

export class CatalogNfsExports implements NfsExportSource {
  readonly #catalog: ImageCatalog;
  readonly #trees: SquashfsTreeCache;
  readonly #logger: Logger;
  readonly #maxTrees: number;
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #loaded = new Map<string, Loaded>();
  /** Keys that named no version, and until when they are answered so without a search. */
  readonly #unknown = new Map<string, number>();

  constructor(catalog: ImageCatalog, options: CatalogNfsExportsOptions) {
    this.#catalog = catalog;
    this.#trees = options.trees;
    this.#logger = options.logger;
    this.#maxTrees = options.maxTrees ?? 16;
    this.#idleMs = options.idleMs ?? 10 * 60_000;
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(() => void this.sweep(), Math.min(60_000, this.#idleMs)).unref();
  }

  /** Lets go of trees idle for `idleMs`; returns how many. */
  async sweep(): Promise<number> {
    const limit = this.#now() - this.#idleMs;
    const idle = [...this.#loaded].filter(([, l]) => l.usedAt < limit);
    for (const [key, l] of idle) {
      this.#loaded.delete(key);
      await this.#unload(l);
    }
    return idle.length;
  }

  async mount(path: string): Promise<NfsExport | undefined> {
    const wanted = parseExportPath(path);
    if (wanted === undefined) return undefined;
    let version: string;
    try {
      version = (await this.#catalog.resolve(wanted.name, wanted.version)).version;
    } catch (err) {
      if (err instanceof ImageError) return undefined;
      throw err;
    }
    return this.#load(wanted.kind, wanted.name, version);
  }

  async byKey(key: string): Promise<NfsExport | undefined> {
    const loaded = this.#loaded.get(key);
    if (loaded) return this.#touch(key, loaded);
    // A client holding a handle of a version this server lacks sends it
    // again and again: the catalog is searched once per key and window.
    const now = this.#now();
    if ((this.#unknown.get(key) ?? 0) > now) return undefined;
    for (const image of await this.#catalog.list()) {
      for (const version of image.versions) {
        for (const kind of ["root", "squashfs"] as const) {
          if (treeKey(identity(kind, image.name, version)) === key)
            return this.#load(kind, image.name, version);
        }
      }
    }
    if (this.#unknown.size >= UNKNOWN_KEYS_KEPT) this.#unknown.clear();
    this.#unknown.set(key, now + UNKNOWN_KEY_MS);
    return undefined;
  }

  async list(): Promise<readonly string[]> {
    const out: string[] = [];
    for (const image of await this.#catalog.list()) {
      if (image.versions.length === 0) continue;
      for (const kind of ["root", "squashfs"] as const) {
        out.push(`${PREFIX[kind]}/${image.name}`);
        for (const v of image.versions) out.push(`${PREFIX[kind]}/${image.name}/${v}`);
      }
    }
    return out;
  }

  /** Lets every tree go (the service stops). */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#loaded.values()];
    this.#loaded.clear();
    for (const l of all) await this.#unload(l);
  }

  #touch(key: string, loaded: Loaded): Promise<NfsExport> {
    loaded.usedAt = this.#now();
    this.#loaded.delete(key);
    this.#loaded.set(key, loaded);
    return loaded.export;
  }

  #load(kind: Kind, name: string, version: string): Promise<NfsExport | undefined> {
    const id = identity(kind, name, version);
    const key = treeKey(id);
    const have = this.#loaded.get(key);
    if (have) return this.#touch(key, have);
    const release = this.#catalog.acquire(name, version, "nfs");
    const opening = (async (): Promise<NfsExport> => {
      const paths = this.#catalog.versionPaths(name, version);
      const dir = kind === "squashfs" ? paths.dir : await this.#trees.tree(name, version, paths.rootfs);
      const started = Date.now();
      const tree = await ImageTree.open(dir);
      this.#logger.info({ export: id, entries: tree.size, ms: Date.now() - started }, "nfs: export loaded");
      return { key, tree, description: `${name}@${version} ${kind}` };
    })();
    const loaded: Loaded = { export: opening, release, usedAt: this.#now() };
    this.#loaded.set(key, loaded);
    opening.catch((err: Error) => {
      this.#logger.warn({ export: id, err: err.message }, "nfs: export could not be loaded");
      if (this.#loaded.get(key) === loaded) this.#loaded.delete(key);
      release();
    });
    while (this.#loaded.size > this.#maxTrees) {
      const [oldest, l] = this.#loaded.entries().next().value as [string, Loaded];
      this.#loaded.delete(oldest);
      void this.#unload(l);
    }
    return opening;
  }

  async #unload(l: Loaded): Promise<void> {
    try {
      await (await l.export).tree.close();
    } catch {
      // It never opened: the failure was logged and released already.
      return;
    }
    l.release();
  }
}

/** What a tree's handles hash: the same on every server holding the version. */
function identity(kind: Kind, name: string, version: string): string {
  return `${kind}:${name}@${version}`;
}

/**
 * `/images/<name>[/<version>]` or `/squashfs/<name>[/<version>]`, with
 * repeated and trailing slashes taken away; anything else names no export.
 */
export function parseExportPath(
  path: string,
): { readonly kind: Kind; readonly name: string; readonly version?: string | undefined } | undefined {
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.length < 2 || parts.length > 3) return undefined;
  const kind = parts[0] === "images" ? "root" : parts[0] === "squashfs" ? "squashfs" : undefined;
  const [, name, version] = parts;
  if (kind === undefined || !isImageName(name!)) return undefined;
  if (version !== undefined && !isImageVersion(version)) return undefined;
  return { kind, name: name!, version };
}
