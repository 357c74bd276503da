/**
 * Whole files kept in memory while a boot storm fetches them: fifty
 * machines pulling the same 60 MiB initrd then cost one read from disk, and
 * each response is slices of one Buffer written to the socket (no read()
 * per chunk, no copy in JavaScript). Entries are checked against the file's
 * size, mtime and inode on every request, so a replaced file is never served
 * stale; least recently used entries go first when the budget is full.
 */
import { readFile } from "node:fs/promises";

export interface FileIdentity {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

interface Entry {
  readonly id: FileIdentity;
  readonly data: Promise<Buffer>;
  bytes: number;
}

export class HotFileCache {
  readonly #entries = new Map<string, Entry>();
  readonly #budget: number;
  readonly #maxFile: number;
  #used = 0;

  /** budget: bytes kept in all; maxFile: larger files are always streamed from disk. */
  constructor(budget: number, maxFile: number) {
    this.#budget = budget;
    this.#maxFile = Math.min(maxFile, budget);
  }

  get usedBytes(): number {
    return this.#used;
  }

  /** The file's bytes, read once; null when it should be streamed instead (too big, or a read failed). */
  async get(path: string, id: FileIdentity): Promise<Buffer | null> {
    if (id.size > this.#maxFile || id.size === 0) return null;
    let entry = this.#entries.get(path);
    if (entry && !same(entry.id, id)) {
      this.#drop(path, entry);
      entry = undefined;
    }
    if (entry) {
      // Most recently used goes to the end of the Map's order.
      this.#entries.delete(path);
      this.#entries.set(path, entry);
    } else {
      this.#makeRoom(id.size);
      const data = readFile(path);
      entry = { id, data, bytes: id.size };
      this.#entries.set(path, entry);
      this.#used += id.size;
    }
    try {
      const data = await entry.data;
      // Written between stat() and read(): do not keep a torn copy.
      if (data.length !== id.size) {
        this.#drop(path, entry);
        return null;
      }
      return data;
    } catch {
      this.#drop(path, entry);
      return null;
    }
  }

  #makeRoom(size: number): void {
    for (const [path, entry] of this.#entries) {
      if (this.#used + size <= this.#budget) break;
      this.#drop(path, entry);
    }
  }

  #drop(path: string, entry: Entry): void {
    if (this.#entries.get(path) !== entry) return;
    this.#entries.delete(path);
    this.#used -= entry.bytes;
  }
}

function same(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}
