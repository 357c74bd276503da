/**
 * What the caller may do with a file, from its mode bits and the AUTH_SYS
 * credential, as a local file system would decide: the owner's bits, else
 * the group's (primary or supplementary), else the others'. uid 0 reads
 * and searches everything, and executes what anyone may execute. AUTH_NONE
 * is nobody: the others' bits. Nothing is ever writable (read-only export).
 *
 * AUTH_SYS is the client's word, so this is no security boundary: it keeps
 * a client's non-root users to what they could do on a local copy.
 */
import type { BigIntStats } from "node:fs";
import { ACCESS3_EXECUTE, ACCESS3_LOOKUP, ACCESS3_READ } from "../../protocols/nfs/nfs3-constants.js";
import type { AuthSys } from "../../protocols/rpc/auth-sys.js";

const R = 4;
const X = 1;

/** The rwx bits (0-7) that apply to the caller. */
export function callerBits(s: BigIntStats, cred: AuthSys | undefined): number {
  const mode = Number(s.mode & 0o777n);
  if (cred === undefined) return mode & 7;
  if (cred.uid === 0) return R | 2 | ((mode & 0o111) !== 0 || s.isDirectory() ? X : 0);
  if (BigInt(cred.uid) === s.uid) return (mode >> 6) & 7;
  const gid = Number(s.gid);
  if (cred.gid === gid || cred.gids.includes(gid)) return (mode >> 3) & 7;
  return mode & 7;
}

/** The ACCESS3 bits granted among those asked (RFC 1813 section 3.3.4). */
export function grantedAccess(s: BigIntStats, cred: AuthSys | undefined, asked: number): number {
  const bits = callerBits(s, cred);
  let granted = 0;
  if (bits & R) granted |= ACCESS3_READ;
  if (bits & X) granted |= s.isDirectory() ? ACCESS3_LOOKUP : ACCESS3_EXECUTE;
  return granted & asked;
}

/** READ is allowed with read or execute permission: a client executing a file reads it through NFS. */
export function mayRead(s: BigIntStats, cred: AuthSys | undefined): boolean {
  return (callerBits(s, cred) & (R | X)) !== 0;
}
