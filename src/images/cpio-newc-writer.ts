/**
 * Writes cpio archives in the "newc" format (magic 070701), the only format
 * the kernel's initramfs unpacker reads (Documentation/driver-api/early-userspace/
 * buffer-format.rst). Pure: entries in, Buffer out; owners are root, so the
 * archive is the same whoever builds it, and device nodes (/dev/console) need
 * no privileges to write.
 *
 * The kernel does not create missing parent folders, so every parent is
 * added before the first entry under it.
 */

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

export class CpioNewcWriter {
  readonly #chunks: Buffer[] = [];
  readonly #dirs = new Set<string>();
  readonly #names = new Set<string>();
  readonly #mtime: number;
  #ino = 1;
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
    this.#entry(name, S_IFDIR | (mode & 0o7777), Buffer.alloc(0), 2);
    return this;
  }

  file(path: string, content: Buffer | string, mode = 0o644): this {
    const name = clean(path);
    this.#parents(name);
    this.#entry(
      name,
      S_IFREG | (mode & 0o7777),
      typeof content === "string" ? Buffer.from(content) : content,
    );
    return this;
  }

  symlink(path: string, target: string): this {
    const name = clean(path);
    this.#parents(name);
    this.#entry(name, S_IFLNK | 0o777, Buffer.from(target));
    return this;
  }

  charDevice(path: string, major: number, minor: number, mode = 0o600): this {
    const name = clean(path);
    this.#parents(name);
    this.#entry(name, S_IFCHR | (mode & 0o7777), Buffer.alloc(0), 1, major, minor);
    return this;
  }

  /** The archive with its TRAILER!!! entry. The writer cannot be used after. */
  finish(): Buffer {
    if (!this.#finished) {
      this.#finished = true;
      this.#header("TRAILER!!!", 0, 0, 1, 0, 0, 0);
    }
    return Buffer.concat(this.#chunks);
  }

  #parents(name: string): void {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) this.dir(parts.slice(0, i).join("/"));
  }

  #entry(name: string, mode: number, data: Buffer, nlink = 1, rmajor = 0, rminor = 0): void {
    if (this.#finished) throw new Error("cpio archive already finished");
    this.#names.add(name);
    this.#header(name, this.#ino++, mode, nlink, data.length, rmajor, rminor);
    this.#chunks.push(data, pad(data.length));
  }

  #header(
    name: string,
    ino: number,
    mode: number,
    nlink: number,
    size: number,
    rmajor: number,
    rminor: number,
  ) {
    const nameBytes = Buffer.from(`${name}\0`);
    const fields = [ino, mode, 0, 0, nlink, this.#mtime, size, 0, 0, rmajor, rminor, nameBytes.length, 0];
    const header = `070701${fields.map((f) => (f >>> 0).toString(16).padStart(8, "0").toUpperCase()).join("")}`;
    this.#chunks.push(Buffer.from(header, "ascii"), nameBytes, pad(110 + nameBytes.length));
  }
}

function pad(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
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
