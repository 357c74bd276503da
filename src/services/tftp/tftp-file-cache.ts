/**
 * Hot boot files (pxelinux.0, the kernel, the initrd) are asked for by every
 * machine at once at 8:00. They are read once into memory and shared by all
 * transfers; an entry is reused while the file's identity and times are
 * unchanged, and concurrent first requests share one read.
 */
import { closeSync, constants, fstatSync, openSync, type Stats } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

interface Entry {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly body: Buffer;
}

/** O_NOFOLLOW: not a symlink swapped in since the check; O_NONBLOCK: a FIFO swapped in must not hang the open. */
const OPEN_RESOLVED = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Throws unless what was opened is the regular file stat saw when the name was checked. */
function assertStillResolved(now: Stats, st: { readonly dev: number; readonly ino: number }): void {
  if (!now.isFile() || now.ino !== st.ino || now.dev !== st.dev)
    throw new Error("file changed while opening");
}

/** Opens a resolved file without following a symlink swapped in since, and checks it is the file stat saw. */
export async function openResolved(
  realPath: string,
  st: { readonly dev: number; readonly ino: number },
): Promise<FileHandle> {
  const handle = await open(realPath, OPEN_RESOLVED);
  try {
    assertStillResolved(await handle.stat(), st);
    return handle;
  } catch (e) {
    await handle.close().catch(() => {});
    throw e;
  }
}

/** openResolved with blocking calls, for a thread without libuv's loop (poll-loop.ts); returns the fd. */
export function openResolvedSync(
  realPath: string,
  st: { readonly dev: number; readonly ino: number },
): number {
  const fd = openSync(realPath, OPEN_RESOLVED);
  try {
    assertStillResolved(fstatSync(fd), st);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function same(e: Entry, st: Stats): boolean {
  return (
    e.dev === st.dev &&
    e.ino === st.ino &&
    e.size === st.size &&
    e.mtimeMs === st.mtimeMs &&
    e.ctimeMs === st.ctimeMs
  );
}

export class TftpFileCache {
  readonly #maxBytes: number;
  readonly #maxFileBytes: number;
  /** Insertion order is recency order (a hit moves the entry to the end). */
  readonly #entries = new Map<string, Entry>();
  readonly #reading = new Map<string, Promise<Buffer>>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(options: { maxBytes: number; maxFileBytes: number }) {
    this.#maxBytes = options.maxBytes;
    this.#maxFileBytes = Math.min(options.maxFileBytes, options.maxBytes);
  }

  /** Whether a file of this size is kept in memory (else it is streamed). */
  fits(size: number): boolean {
    return size <= this.#maxFileBytes;
  }

  get stats(): { entries: number; bytes: number; hits: number; misses: number } {
    return { entries: this.#entries.size, bytes: this.#bytes, hits: this.#hits, misses: this.#misses };
  }

  /** The whole file, from memory when unchanged since it was read. */
  async read(realPath: string, st: Stats): Promise<Buffer> {
    const hit = this.#entries.get(realPath);
    if (hit !== undefined && same(hit, st)) {
      this.#hits++;
      this.#entries.delete(realPath);
      this.#entries.set(realPath, hit);
      return hit.body;
    }
    const key = `${realPath}\0${st.ino}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}`;
    const pending = this.#reading.get(key);
    if (pending !== undefined) {
      this.#hits++;
      return pending;
    }
    this.#misses++;
    const reading = this.#load(realPath, st).finally(() => this.#reading.delete(key));
    this.#reading.set(key, reading);
    return reading;
  }

  async #load(realPath: string, st: Stats): Promise<Buffer> {
    const handle = await openResolved(realPath, st);
    let body: Buffer;
    try {
      // Shared memory: transfer worker threads read the same bytes without a copy.
      body = Buffer.from(new SharedArrayBuffer(st.size));
      let got = 0;
      while (got < body.length) {
        const { bytesRead } = await handle.read(body, got, body.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got < body.length) body = body.subarray(0, got);
    } finally {
      await handle.close().catch(() => {});
    }
    if (this.fits(body.length)) this.#insert(realPath, st, body);
    return body;
  }

  #insert(realPath: string, st: Stats, body: Buffer): void {
    const old = this.#entries.get(realPath);
    if (old !== undefined) {
      this.#bytes -= old.body.length;
      this.#entries.delete(realPath);
    }
    this.#entries.set(realPath, {
      dev: st.dev,
      ino: st.ino,
      size: body.length === st.size ? st.size : -1,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      body,
    });
    this.#bytes += body.length;
    // Evict least recently used; transfers still holding a body keep it alive.
    for (const [path, e] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(path);
      this.#bytes -= e.body.length;
    }
  }
}
