/**
 * Writes cpio archives in the "newc" format (magic 070701), the only format
 * the kernel's initramfs unpacker reads (Documentation/driver-api/early-userspace/
 * buffer-format.rst). Pure: entries in, Buffer out; owners are root, so the
 * archive is the same whoever builds it, and device nodes (/dev/console) need
 * no privileges to write.
 *
 * The kernel does not create missing parent folders, so every parent is
 * added before the first entry under it. A builder over the one newc codec
 * (src/boot/cpio-newc.ts), which also writes the per-machine layer cpio.
 */
import { type CpioEntry, encodeCpioNewc } from "../boot/cpio-newc.js";

export class CpioNewcWriter {
  readonly #entries: CpioEntry[] = [];
  readonly #dirs = new Set<string>();
  readonly #names = new Set<string>();
  readonly #mtime: number;
  #finished = false;

  /** `mtime`: seconds since the epoch stamped on every entry. */
  constructor(options: { mtime?: number } = {}) {
    this.#mtime = options.mtime ?? 0;
  }

  /** True when an entry with this path was added (folders included). */
  has(path: string): boolean {
    return this.#names.has(clean(path));
  }

  dir(path: string, mode = 0o755): this {
    const name = clean(path);
    if (this.#dirs.has(name)) return this;
    this.#parents(name);
    this.#dirs.add(name);
    this.#entry({ name, type: "dir", mode: mode & 0o7777, mtime: this.#mtime });
    return this;
  }

  file(path: string, content: Buffer | string, mode = 0o644): this {
    const name = clean(path);
    this.#parents(name);
    const data = typeof content === "string" ? Buffer.from(content) : content;
    this.#entry({ name, type: "file", mode: mode & 0o7777, mtime: this.#mtime, data });
    return this;
  }

  symlink(path: string, target: string): this {
    const name = clean(path);
    this.#parents(name);
    this.#entry({ name, type: "symlink", mode: 0o777, mtime: this.#mtime, data: Buffer.from(target) });
    return this;
  }

  charDevice(path: string, major: number, minor: number, mode = 0o600): this {
    const name = clean(path);
    this.#parents(name);
    this.#entry({
      name,
      type: "chardev",
      mode: mode & 0o7777,
      mtime: this.#mtime,
      rdevMajor: major,
      rdevMinor: minor,
    });
    return this;
  }

  /** The archive with its TRAILER!!! entry. The writer cannot be used after. */
  finish(): Buffer {
    this.#finished = true;
    return encodeCpioNewc(this.#entries);
  }

  #parents(name: string): void {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) this.dir(parts.slice(0, i).join("/"));
  }

  #entry(entry: CpioEntry): void {
    if (this.#finished) throw new Error("cpio archive already finished");
    if (this.#names.has(entry.name)) throw new Error(`cpio entry '${entry.name}' added twice`);
    this.#names.add(entry.name);
    this.#entries.push(entry);
  }
}

function clean(path: string): string {
  const name = path
    .replace(/^\/+/, "")
    .replace(/\/+$/, "")
    .replace(/\/{2,}/g, "/");
  if (name === "" || name.split("/").some((p) => p === ".." || p === ".")) {
    throw new Error(`invalid cpio path '${path}'`);
  }
  return name;
}
