/**
 * An export handle over one open file: positional reads (and writes, for a
 * writable export) on a file descriptor, so any number of requests run at
 * once without a shared file position. The descriptor is opened once per
 * connection and kept until release: replacing or deleting the file on disk
 * does not change what this handle reads.
 */
import { close, fdatasync, fstat, open, read, write } from "node:fs";
import type { NbdCowSetting, NbdExportHandle } from "./nbd-export-source.js";

export interface FileExportOptions {
  readonly name: string;
  readonly description?: string | undefined;
  /** Default true: bootfleet serves images read-only. */
  readonly readOnly?: boolean | undefined;
  readonly cow?: NbdCowSetting | undefined;
  readonly mac?: string | undefined;
  /** Called once after the file is closed (in-use tracking). */
  readonly onRelease?: (() => void) | undefined;
}

function openFd(path: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

function fstatSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size))));
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
}

/** fs.read with a position; the callback form costs less per call than FileHandle's promises. */
export function preadFd(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  );
}

export function pwriteFd(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) =>
    write(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  );
}

export function fdatasyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/** Opens `path` and returns a handle that holds it open until `release()`. */
export async function openFileExport(path: string, options: FileExportOptions): Promise<NbdExportHandle> {
  const readOnly = options.readOnly ?? true;
  const fd = await openFd(path, readOnly ? "r" : "r+");
  let size: number;
  try {
    size = await fstatSize(fd);
  } catch (err) {
    await closeFd(fd).catch(() => {});
    throw err;
  }
  let released = false;
  const handle: NbdExportHandle = {
    name: options.name,
    size,
    readOnly,
    description: options.description ?? "",
    cow: options.cow,
    mac: options.mac,
    read: (buffer, offset, length, position) => preadFd(fd, buffer, offset, length, position),
    ...(readOnly
      ? {}
      : {
          write: (buffer: Buffer, offset: number, length: number, position: number) =>
            pwriteFd(fd, buffer, offset, length, position),
          flush: () => fdatasyncFd(fd),
        }),
    release: async () => {
      if (released) return;
      released = true;
      try {
        await closeFd(fd);
      } finally {
        options.onRelease?.();
      }
    },
  };
  return handle;
}
