/**
 * The "newc" (SVR4, no CRC) cpio format: the one the Linux kernel unpacks
 * from every initrd it is given, concatenated (Documentation/driver-api/
 * early-userspace/buffer-format.rst). Pure: entries in, bytes out, and back.
 *
 * Each entry: a 110-byte ASCII header ("070701" and 13 eight-digit hex
 * fields), the NUL-terminated name padded so that header+name is a multiple
 * of 4, then the data padded to a multiple of 4. The archive ends with an
 * entry named "TRAILER!!!".
 */

/** `chardev`: a device node such as /dev/console, which the kernel needs before /init runs. */
export type CpioEntryType = "file" | "dir" | "symlink" | "chardev";

export interface CpioEntry {
  /** Relative path, no leading slash, no "." or ".." parts. */
  readonly name: string;
  readonly type: CpioEntryType;
  /** Permission bits only (0o7777); the type bits come from `type`. */
  readonly mode: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  /** File contents, or the target of a symlink. */
  readonly data?: Buffer | undefined;
  /** Device number of a chardev. */
  readonly rdevMajor?: number | undefined;
  readonly rdevMinor?: number | undefined;
}

export class CpioError extends Error {
  override readonly name = "CpioError";
}

const MAGIC = "070701";
const HEADER_SIZE = 110;
const TRAILER = "TRAILER!!!";
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFMT = 0o170000;
const MAX_U32 = 0xffffffff;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function hex8(value: number, field: string, name: string): string {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new CpioError(`cpio: ${field} ${value} of "${name}" does not fit 32 bits`);
  }
  return value.toString(16).padStart(8, "0");
}

/** Checks an entry name: what the kernel's unpacker and `cpio -i` would take as a safe relative path. */
export function checkEntryName(name: string): void {
  if (name.length === 0) throw new CpioError("cpio: empty entry name");
  if (name.includes("\0")) throw new CpioError(`cpio: entry name contains NUL: ${JSON.stringify(name)}`);
  if (name.startsWith("/")) throw new CpioError(`cpio: entry name must be relative: "${name}"`);
  for (const part of name.split("/")) {
    if (part === "" || part === "." || part === "..") {
      throw new CpioError(`cpio: entry name has an empty, "." or ".." part: "${name}"`);
    }
  }
}

function header(
  ino: number,
  mode: number,
  uid: number,
  gid: number,
  nlink: number,
  mtime: number,
  size: number,
  nameSize: number,
  name: string,
  rdevMajor = 0,
  rdevMinor = 0,
): string {
  return (
    MAGIC +
    hex8(ino, "inode", name) +
    hex8(mode, "mode", name) +
    hex8(uid, "uid", name) +
    hex8(gid, "gid", name) +
    hex8(nlink, "nlink", name) +
    hex8(mtime, "mtime", name) +
    hex8(size, "size", name) +
    "00000000" + // devmajor
    "00000000" + // devminor
    hex8(rdevMajor, "rdevmajor", name) +
    hex8(rdevMinor, "rdevminor", name) +
    hex8(nameSize, "namesize", name) +
    "00000000" // check: always 0 in newc (070702 is the CRC variant)
  );
}

function pushEntry(out: Buffer[], ino: number, mode: number, entry: CpioEntry | null, name: string): void {
  const nameBytes = Buffer.from(name + "\0", "utf8");
  const data = entry?.data ?? Buffer.alloc(0);
  const nlink = entry === null ? 1 : entry.type === "dir" ? 2 : 1;
  const mtime = entry === null ? 0 : Math.floor(entry.mtime);
  out.push(
    Buffer.from(
      header(
        ino,
        mode,
        entry?.uid ?? 0,
        entry?.gid ?? 0,
        nlink,
        mtime,
        data.length,
        nameBytes.length,
        name,
        entry?.rdevMajor ?? 0,
        entry?.rdevMinor ?? 0,
      ),
      "ascii",
    ),
    nameBytes,
    Buffer.alloc(pad4(HEADER_SIZE + nameBytes.length)),
  );
  if (data.length > 0) out.push(data, Buffer.alloc(pad4(data.length)));
}

/** Writes a newc archive. Entries are written in the order given (parents first is the caller's job). */
export function encodeCpioNewc(entries: readonly CpioEntry[]): Buffer {
  const out: Buffer[] = [];
  let ino = 1;
  const seen = new Set<string>();
  for (const entry of entries) {
    checkEntryName(entry.name);
    if (seen.has(entry.name)) throw new CpioError(`cpio: duplicate entry "${entry.name}"`);
    seen.add(entry.name);
    if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777) {
      throw new CpioError(`cpio: mode ${entry.mode} of "${entry.name}" is not permission bits (0..0o7777)`);
    }
    if (entry.type === "dir" && entry.data && entry.data.length > 0) {
      throw new CpioError(`cpio: directory "${entry.name}" cannot have data`);
    }
    if (entry.type === "symlink" && (!entry.data || entry.data.length === 0)) {
      throw new CpioError(`cpio: symlink "${entry.name}" needs a target`);
    }
    if (entry.type === "chardev" && entry.data && entry.data.length > 0) {
      throw new CpioError(`cpio: device "${entry.name}" cannot have data`);
    }
    const typeBits =
      entry.type === "dir"
        ? S_IFDIR
        : entry.type === "symlink"
          ? S_IFLNK
          : entry.type === "chardev"
            ? S_IFCHR
            : S_IFREG;
    pushEntry(out, ino++, typeBits | entry.mode, entry, entry.name);
  }
  pushEntry(out, 0, 0, null, TRAILER);
  return Buffer.concat(out);
}

/**
 * Reads a newc archive (for tests and for `bootfleet explain` to show what a
 * machine gets). Checks every length before reading; stops at the trailer.
 */
export function decodeCpioNewc(buf: Buffer): CpioEntry[] {
  const entries: CpioEntry[] = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < HEADER_SIZE) {
      throw new CpioError(`cpio: truncated header at offset ${off} (${buf.length - off} of 110 bytes)`);
    }
    const magic = buf.toString("ascii", off, off + 6);
    if (magic !== MAGIC) throw new CpioError(`cpio: bad magic "${magic}" at offset ${off}, want 070701`);
    const field = (i: number): number => {
      const text = buf.toString("ascii", off + 6 + i * 8, off + 14 + i * 8);
      if (!/^[0-9a-fA-F]{8}$/.test(text))
        throw new CpioError(`cpio: bad hex field "${text}" at offset ${off}`);
      return Number.parseInt(text, 16);
    };
    const mode = field(1);
    const uid = field(2);
    const gid = field(3);
    const mtime = field(5);
    const size = field(6);
    const nameSize = field(11);
    if (nameSize < 1) throw new CpioError(`cpio: name size 0 at offset ${off}`);
    const nameStart = off + HEADER_SIZE;
    const dataStart = nameStart + nameSize + pad4(HEADER_SIZE + nameSize);
    if (nameStart + nameSize > buf.length) throw new CpioError(`cpio: truncated name at offset ${off}`);
    if (buf[nameStart + nameSize - 1] !== 0)
      throw new CpioError(`cpio: name not NUL-terminated at offset ${off}`);
    const name = buf.toString("utf8", nameStart, nameStart + nameSize - 1);
    if (name === TRAILER) return entries;
    if (dataStart + size > buf.length) {
      throw new CpioError(
        `cpio: "${name}" needs ${size} data bytes, ${Math.max(0, buf.length - dataStart)} left`,
      );
    }
    const kind = mode & S_IFMT;
    const type: CpioEntryType | null =
      kind === S_IFREG
        ? "file"
        : kind === S_IFDIR
          ? "dir"
          : kind === S_IFLNK
            ? "symlink"
            : kind === S_IFCHR
              ? "chardev"
              : null;
    if (type === null) throw new CpioError(`cpio: "${name}" has unsupported type bits 0o${kind.toString(8)}`);
    entries.push({
      name,
      type,
      mode: mode & 0o7777,
      mtime,
      uid,
      gid,
      data: Buffer.from(buf.subarray(dataStart, dataStart + size)),
      ...(type === "chardev" ? { rdevMajor: field(9), rdevMinor: field(10) } : {}),
    });
    off = dataStart + size + pad4(size);
  }
}
