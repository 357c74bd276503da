/**
 * Opening a file that was checked by name a moment ago (stat, or the TFTP
 * resolver's realpath), without trusting that the name still points there:
 * what is opened must be the regular file the check saw, else the open fails.
 */
import { closeSync, constants, fstatSync, openSync, type Stats } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/** The device and inode a check saw: what the opened file must still be. */
export interface CheckedFile {
  readonly dev: number;
  readonly ino: number;
}

export interface OpenResolvedOptions {
  /**
   * Follow a symlink in the last component (HTTP paths such as Debian's
   * /usr/lib/ipxe/ipxe.efi -> /boot/ipxe.efi). The default refuses one: a
   * TFTP path is already resolved, so a symlink there was swapped in since.
   */
  readonly followSymlinks?: boolean | undefined;
}

/** O_NOFOLLOW: not a symlink swapped in since the check; O_NONBLOCK: a FIFO swapped in must not hang the open. */
const OPEN_RESOLVED = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const OPEN_FOLLOWING = constants.O_RDONLY | constants.O_NONBLOCK;

function flags(options: OpenResolvedOptions | undefined): number {
  return options?.followSymlinks === true ? OPEN_FOLLOWING : OPEN_RESOLVED;
}

/** Throws unless what was opened is the regular file stat saw when the name was checked. */
function assertStillResolved(now: Stats, st: CheckedFile): void {
  if (!now.isFile() || now.ino !== st.ino || now.dev !== st.dev)
    throw new Error("file changed while opening");
}

/** Opens a checked file and makes sure it is the file the check saw. */
export async function openResolved(
  path: string,
  st: CheckedFile,
  options?: OpenResolvedOptions,
): Promise<FileHandle> {
  const handle = await open(path, flags(options));
  try {
    assertStillResolved(await handle.stat(), st);
    return handle;
  } catch (e) {
    await handle.close().catch(() => {});
    throw e;
  }
}

/** openResolved with blocking calls, for a thread without libuv's loop (poll-loop.ts); returns the fd. */
export function openResolvedSync(realPath: string, st: CheckedFile): number {
  const fd = openSync(realPath, OPEN_RESOLVED);
  try {
    assertStillResolved(fstatSync(fd), st);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
