/**
 * fattr3 (RFC 1813 section 2.6) from what lstat said of a tree entry. The
 * file id is the entry's number in its tree, not the host's inode number,
 * so it is the same on every server (file-handle.ts); fsid is the tree's
 * key, so each export is its own file system to the client.
 */
import type { BigIntStats } from "node:fs";
import {
  NF3BLK,
  NF3CHR,
  NF3DIR,
  NF3FIFO,
  NF3LNK,
  NF3REG,
  NF3SOCK,
} from "../../protocols/nfs/nfs3-constants.js";
import type { Fattr3, NfsTime } from "../../protocols/nfs/nfs3-types.js";

export function fileType(s: BigIntStats): number {
  if (s.isFile()) return NF3REG;
  if (s.isDirectory()) return NF3DIR;
  if (s.isSymbolicLink()) return NF3LNK;
  if (s.isBlockDevice()) return NF3BLK;
  if (s.isCharacterDevice()) return NF3CHR;
  if (s.isSocket()) return NF3SOCK;
  return NF3FIFO;
}

export function fileAttributes(s: BigIntStats, fileId: number, fsid: bigint): Fattr3 {
  return {
    type: fileType(s),
    mode: Number(s.mode & 0o7777n),
    nlink: Number(s.nlink),
    uid: Number(s.uid),
    gid: Number(s.gid),
    size: s.size,
    used: s.blocks * 512n,
    // Linux's dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 12-31 (sysmacros.h).
    rdev: {
      major: Number(((s.rdev >> 8n) & 0xfffn) | ((s.rdev >> 32n) & ~0xfffn)),
      minor: Number((s.rdev & 0xffn) | ((s.rdev >> 12n) & ~0xffn)),
    },
    fsid,
    fileid: BigInt(fileId),
    atime: time(s.atimeNs),
    mtime: time(s.mtimeNs),
    ctime: time(s.ctimeNs),
  };
}

/** nfstime3 holds unsigned 32-bit seconds: times before 1970 become 0. */
function time(ns: bigint): NfsTime {
  if (ns < 0n) return { seconds: 0, nseconds: 0 };
  return { seconds: Number((ns / 1_000_000_000n) & 0xffffffffn), nseconds: Number(ns % 1_000_000_000n) };
}
