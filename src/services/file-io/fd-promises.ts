/**
 * The fs calls made on raw file descriptors by the services that serve
 * files block by block (NBD's export files and copy-on-write layers, NFS's
 * image trees), as promises over the callback API: per call it costs less
 * than FileHandle's promises.
 */
import { close, fdatasync, open, read, write } from "node:fs";

export function openFd(path: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
}

/** fs.read at `position`: resolves the count read (short only at end of file). */
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

/** fs.write at `position`: resolves the count written. */
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
