/**
 * NFS file handles that mean the same thing on every server and after every
 * restart: 8 bytes naming the export's tree (the first bytes of a SHA-256 of
 * what it serves and which image version, e.g. "root:thin@20261124-153000")
 * and 8 bytes of the file's number in that tree. A client on a hard mount
 * that rides out a `kill -9` and a restart, or is moved to another server
 * holding the same version, goes on with the handles it has; the handle
 * names the version, so `image use` never changes what a mounted client sees.
 */
import { createHash } from "node:crypto";

export const FILE_HANDLE_BYTES = 16;

/** The 8-byte key of a tree, as a 16-digit hex string (a Map key). */
export function treeKey(identity: string): string {
  return createHash("sha256").update(identity).digest().subarray(0, 8).toString("hex");
}

export function encodeFileHandle(key: string, fileId: number): Buffer {
  const fh = Buffer.alloc(FILE_HANDLE_BYTES);
  fh.write(key, 0, 8, "hex");
  fh.writeBigUInt64BE(BigInt(fileId), 8);
  return fh;
}

/** The tree key and file number of a handle; undefined for one this server never hands out. */
export function decodeFileHandle(fh: Buffer): { readonly key: string; readonly fileId: number } | undefined {
  if (fh.length !== FILE_HANDLE_BYTES) return undefined;
  const id = fh.readBigUInt64BE(8);
  if (id === 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { key: fh.subarray(0, 8).toString("hex"), fileId: Number(id) };
}
