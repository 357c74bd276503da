/**
 * An export handle over one open file: positional reads (and writes, for a
 * writable export) on a file descriptor, so any number of requests run at
 * once without a shared file position. The descriptor is opened once per
 * connection and kept until release: replacing or deleting the file on disk
 * does not change what this handle reads. Reads go through an
 * AdaptiveReader, in place while the page cache answers.
 */
import { AdaptiveReader } from "../file-io/adaptive-reader.js";
import { closeSync, fstatSync, openSync } from "node:fs";
import { closeFd, fdatasyncFd, preadFd, pwriteFd } from "../file-io/fd-promises.js";
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
  /** Reads in place while they are fast (AdaptiveReader); false: always in the thread pool. */
  readonly syncReads?: boolean | undefined;
}

/**
 * Opens `path` and returns a handle that holds it open until `release()`.
 * The open and fstat run in place, like the reads: every machine of a fleet
 * opens the same image file, whose inode is cached, and two trips through
 * libuv's thread pool per connection cost more than the calls themselves.
 */
export async function openFileExport(path: string, options: FileExportOptions): Promise<NbdExportHandle> {
  const readOnly = options.readOnly ?? true;
  const fd = openSync(path, readOnly ? "r" : "r+");
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  let released = false;
  const reader = options.syncReads === false ? undefined : new AdaptiveReader(fd);
  const handle: NbdExportHandle = {
    name: options.name,
    size,
    readOnly,
    description: options.description ?? "",
    cow: options.cow,
    mac: options.mac,
    read: reader
      ? (buffer, offset, length, position) => reader.read(buffer, offset, length, position)
      : (buffer, offset, length, position) => preadFd(fd, buffer, offset, length, position),
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
