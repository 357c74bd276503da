/**
 * Whole boot files kept in memory, one budget for TFTP and HTTP together.
 * A lab powering on at 8:00 asks for the same pxelinux.0, kernel and initrd
 * from every machine at once, over TFTP and over HTTP: each file is read
 * from disk once and every transfer or response sends from the same bytes.
 *
 * - An entry is the file's device and inode; it is used only while size,
 *   mtime and ctime are unchanged too, so a file rewritten in place or
 *   replaced is never served stale (the request that notices reads it anew).
 * - Concurrent first requests share one read.
 * - The bytes are in shared memory: TFTP transfer worker threads send them
 *   without a copy, HTTP writes slices of them to the socket.
 * - Least recently used entries go first when the budget is full; a reader
 *   still holding a body keeps it alive.
 *
 * Which files are worth keeping (the largest size) is each service's
 * choice; larger ones are streamed from disk by the service.
 */
import type { FileHandle } from "node:fs/promises";
import { type OpenResolvedOptions, openResolved } from "./open-resolved.js";

/** Bytes kept in all, unless the server is given another budget. */
export const DEFAULT_FILE_CACHE_BYTES = 512 << 20;

/** What identifies one version of a file: fs.Stats has all of it. */
export interface FileVersion {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export interface FileCacheStats {
  readonly entries: number;
  /** Bytes kept, reads under way included. */
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
}

interface Entry {
  readonly version: FileVersion;
  readonly body: Promise<Buffer>;
}

export class FileCache {
  readonly maxBytes: number;
  /** Insertion order is recency order (a hit moves the entry to the end). */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(options: { readonly maxBytes?: number | undefined } = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_FILE_CACHE_BYTES;
  }

  get stats(): FileCacheStats {
    return { entries: this.#entries.size, bytes: this.#bytes, hits: this.#hits, misses: this.#misses };
  }

  /**
   * The whole file at `path`, which a stat a moment ago saw as `version`:
   * from memory when that version was read before. What is opened must be
   * that file (see open-resolved.ts), else this rejects. A file that shrank
   * while being read comes back shorter than `version.size` and is not kept.
   */
  read(path: string, version: FileVersion, options?: OpenResolvedOptions): Promise<Buffer> {
    const key = `${version.dev}:${version.ino}`;
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      if (same(hit.version, version)) {
        this.#hits++;
        this.#entries.delete(key);
        this.#entries.set(key, hit);
        return hit.body;
      }
      this.#drop(key, hit);
    }
    this.#misses++;
    const body = load(path, version, options);
    if (version.size > this.maxBytes) return body;
    const entry: Entry = { version: pickVersion(version), body };
    this.#entries.set(key, entry);
    this.#bytes += version.size;
    this.#evictFor(entry);
    body.then(
      (b) => {
        if (b.length !== version.size) this.#drop(key, entry);
      },
      () => this.#drop(key, entry),
    );
    return body;
  }

  /** Drops the least recently used entries until the budget holds, `kept` last. */
  #evictFor(kept: Entry): void {
    for (const [key, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes || e === kept) break;
      this.#drop(key, e);
    }
  }

  #drop(key: string, entry: Entry): void {
    if (this.#entries.get(key) !== entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.version.size;
  }
}

function same(a: FileVersion, b: FileVersion): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs
  );
}

/** Only the numbers: a Stats object kept per entry would hold every other field too. */
function pickVersion(v: FileVersion): FileVersion {
  return { dev: v.dev, ino: v.ino, size: v.size, mtimeMs: v.mtimeMs, ctimeMs: v.ctimeMs };
}

async function load(path: string, version: FileVersion, options?: OpenResolvedOptions): Promise<Buffer> {
  const handle = await openResolved(path, version, options);
  try {
    return await readAll(handle, version.size);
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Up to `size` bytes into shared memory; fewer when the file ends sooner. */
async function readAll(handle: FileHandle, size: number): Promise<Buffer> {
  const body = Buffer.from(new SharedArrayBuffer(size));
  let got = 0;
  while (got < body.length) {
    const { bytesRead } = await handle.read(body, got, body.length - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got < body.length ? body.subarray(0, got) : body;
}
