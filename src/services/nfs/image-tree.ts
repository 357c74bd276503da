/**
 * One exported tree, read-only: a folder on disk walked once when it is
 * opened, each entry numbered in a fixed order (the root 1, then breadth
 * first, names in byte order), so the same tree gives the same numbers on
 * every server and every start: those numbers are the NFS file ids and the
 * second half of the file handles. Hard links share a number.
 *
 * Lookups never leave the tree: names resolve only against the entries the
 * walk found ('.' is the folder, '..' its parent, and the root's parent is
 * the root, as RFC 1813 section 3.3.3 lets a server answer), and nothing a
 * client sends becomes part of a path. Symbolic links are entries like any
 * other: READLINK returns their text; the walk uses lstat and files open
 * with O_NOFOLLOW, so a link pointing out of the tree (or at the server's
 * /etc) is never followed here, only by the client in its own namespace.
 *
 * The tree is immutable (an image version never changes after its build),
 * so attributes are taken during the walk and kept.
 */
import { constants, type BigIntStats } from "node:fs";
import { type FileHandle, lstat, open, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { AdaptiveReader } from "../file-io/adaptive-reader.js";

export interface TreeEntry {
  readonly id: number;
  /** Path inside the tree, "" for the root. */
  readonly path: string;
  readonly name: string;
  readonly parent: number;
  readonly stats: BigIntStats;
  /** Children in byte order of their names (folders only); a hard link's name is its own, not the entry's. */
  readonly children?: readonly TreeChild[] | undefined;
  /** Name -> id (folders only). */
  readonly byName?: ReadonlyMap<string, number> | undefined;
}

export interface TreeChild {
  readonly name: string;
  readonly id: number;
}

export interface ImageTreeOptions {
  /** Entries at most; a larger tree is refused rather than held in memory. */
  readonly maxEntries?: number | undefined;
  /** Files kept open at once for reading. */
  readonly maxOpenFiles?: number | undefined;
}

export class ImageTreeError extends Error {
  override readonly name = "ImageTreeError";
}

export class ImageTree {
  /** Where the tree is on disk. */
  readonly dir: string;
  readonly #entries: TreeEntry[];
  readonly #open = new Map<number, OpenFile>();
  readonly #maxOpen: number;
  #closed = false;

  private constructor(dir: string, entries: TreeEntry[], maxOpen: number) {
    this.dir = dir;
    this.#entries = entries;
    this.#maxOpen = maxOpen;
  }

  static async open(dir: string, options: ImageTreeOptions = {}): Promise<ImageTree> {
    const maxEntries = options.maxEntries ?? 4_000_000;
    const rootStats = await lstat(dir, { bigint: true });
    if (!rootStats.isDirectory()) throw new ImageTreeError(`${dir} is not a folder`);
    // Index 0 is unused: file id 0 means "none" in a handle.
    const entries: TreeEntry[] = [undefined as unknown as TreeEntry];
    const byInode = new Map<string, number>();
    const root: MutableEntry = { id: 1, path: "", name: "", parent: 1, stats: rootStats };
    entries.push(root);
    for (let next = 1; next < entries.length; next++) {
      const folder = entries[next] as MutableEntry;
      if (!folder.stats.isDirectory()) continue;
      const names = (await readdir(join(dir, folder.path))).sort(compareBytes);
      const children: TreeChild[] = [];
      const byName = new Map<string, number>();
      for (const name of names) {
        const path = folder.path === "" ? name : `${folder.path}/${name}`;
        const stats = await lstat(join(dir, path), { bigint: true });
        const inode = `${stats.dev}:${stats.ino}`;
        let id = stats.isDirectory() ? undefined : byInode.get(inode);
        if (id === undefined) {
          if (entries.length > maxEntries) {
            throw new ImageTreeError(`${dir} holds more than ${maxEntries} entries`);
          }
          id = entries.length;
          entries.push({ id, path, name, parent: folder.id, stats });
          if (!stats.isDirectory() && stats.nlink > 1n) byInode.set(inode, id);
        }
        children.push({ name, id });
        byName.set(name, id);
      }
      folder.children = children;
      folder.byName = byName;
    }
    return new ImageTree(dir, entries, options.maxOpenFiles ?? 64);
  }

  get size(): number {
    return this.#entries.length - 1;
  }

  entry(id: number): TreeEntry | undefined {
    return id >= 1 ? this.#entries[id] : undefined;
  }

  /** The child `name` of folder `dir`; '.' and '..' as section 3.3.3 allows. */
  lookup(dir: TreeEntry, name: string): TreeEntry | undefined {
    if (name === ".") return dir;
    if (name === "..") return this.#entries[dir.parent];
    const id = dir.byName?.get(name);
    return id === undefined ? undefined : this.#entries[id];
  }

  async readlink(entry: TreeEntry): Promise<string> {
    return readlink(join(this.dir, entry.path));
  }

  /** Up to `count` bytes at `offset` of a regular file. */
  async read(entry: TreeEntry, offset: number, count: number): Promise<Buffer> {
    const want = this.readable(entry, offset, count);
    if (want === 0) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(want);
    const got = await this.readInto(entry, offset, buf);
    return got === want ? buf : buf.subarray(0, got);
  }

  /** How many bytes a read of `count` at `offset` returns: less at the end of the file. */
  readable(entry: TreeEntry, offset: number, count: number): number {
    const size = Number(entry.stats.size);
    return offset >= size ? 0 : Math.min(count, size - offset);
  }

  /** Fills `target` from `offset` (fewer bytes only at the end of the file); the bytes read. */
  async readInto(entry: TreeEntry, offset: number, target: Buffer): Promise<number> {
    const file = this.#file(entry);
    file.users++;
    try {
      const reader = await file.reader;
      let got = 0;
      while (got < target.length) {
        const bytesRead = await reader.read(target, got, target.length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got;
    } finally {
      file.users--;
      if (file.evicted && file.users === 0) file.close();
    }
  }

  /** The open file of an entry; the least recently used one is closed past the limit (once its reads end). */
  #file(entry: TreeEntry): OpenFile {
    if (this.#closed) throw new ImageTreeError(`${this.dir} is closed`);
    const have = this.#open.get(entry.id);
    if (have) {
      // Most recently used last: a Map keeps insertion order.
      this.#open.delete(entry.id);
      this.#open.set(entry.id, have);
      return have;
    }
    const file = new OpenFile(open(join(this.dir, entry.path), constants.O_RDONLY | constants.O_NOFOLLOW));
    file.handle.catch(() => {
      if (this.#open.get(entry.id) === file) this.#open.delete(entry.id);
    });
    this.#open.set(entry.id, file);
    while (this.#open.size > this.#maxOpen) {
      const [oldest, evicted] = this.#open.entries().next().value as [number, OpenFile];
      this.#open.delete(oldest);
      evicted.evicted = true;
      if (evicted.users === 0) evicted.close();
    }
    return file;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const files = [...this.#open.values()];
    this.#open.clear();
    for (const f of files) {
      f.evicted = true;
      if (f.users === 0) f.close();
    }
  }
}

class OpenFile {
  readonly handle: Promise<FileHandle>;
  /**
   * Small reads in place while the file is in the page cache (it is, for an
   * image being served), larger ones and cold files in the thread pool: the
   * reader NBD's export files use, for the same reason.
   */
  readonly reader: Promise<AdaptiveReader>;
  users = 0;
  evicted = false;

  constructor(handle: Promise<FileHandle>) {
    this.handle = handle;
    this.reader = handle.then((h) => new AdaptiveReader(h.fd));
  }

  close(): void {
    this.handle.then((h) => h.close()).catch(() => {});
  }
}

type MutableEntry = { -readonly [K in keyof TreeEntry]: TreeEntry[K] };

/** Byte order of UTF-8 names, the same on every host whatever its locale. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
