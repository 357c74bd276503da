/**
 * The AUTH_SYS credential (RFC 5531 appendix A): who the client says the
 * caller is. A read-only export needs no more than this, and the kernel's
 * NFS client sends it by default.
 */
import { XdrError } from "../xdr/xdr-error.js";
import { XdrReader } from "../xdr/xdr-reader.js";
import type { XdrWriter } from "../xdr/xdr-writer.js";

export interface AuthSys {
  readonly stamp: number;
  readonly machineName: string;
  readonly uid: number;
  readonly gid: number;
  readonly gids: readonly number[];
}

/** machinename<255>, gids<16> (appendix A). */
const MAX_MACHINE_NAME = 255;
const MAX_GIDS = 16;

/** Reads an AUTH_SYS body; XdrError when it is malformed (the caller answers AUTH_BADCRED). */
export function decodeAuthSys(body: Buffer): AuthSys {
  const r = new XdrReader(body);
  const stamp = r.uint32("stamp");
  const machineName = r.string(MAX_MACHINE_NAME, "machinename");
  const uid = r.uint32("uid");
  const gid = r.uint32("gid");
  const count = r.uint32("gids count");
  if (count > MAX_GIDS) throw new XdrError(`gids: ${count} groups, more than the ${MAX_GIDS} allowed`);
  const gids: number[] = [];
  for (let i = 0; i < count; i++) gids.push(r.uint32("gid"));
  return { stamp, machineName, uid, gid, gids };
}

export function encodeAuthSys(w: XdrWriter, a: AuthSys): void {
  w.uint32(a.stamp).string(a.machineName).uint32(a.uid).uint32(a.gid).uint32(a.gids.length);
  for (const g of a.gids) w.uint32(g);
}
