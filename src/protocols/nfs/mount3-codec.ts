/**
 * MOUNT version 3 (RFC 1813 appendix I): program 100005, which turns an
 * export path into the root file handle a client then uses with NFS.
 * NULL, MNT, DUMP, UMNT, UMNTALL, EXPORT.
 */
import { XdrError } from "../xdr/xdr-error.js";
import { XdrReader } from "../xdr/xdr-reader.js";
import type { XdrWriter } from "../xdr/xdr-writer.js";
import { NFS3_FHSIZE } from "./nfs3-constants.js";

export const MOUNT_VERSION = 3;
export const MOUNTPROC3_NULL = 0;
export const MOUNTPROC3_MNT = 1;
export const MOUNTPROC3_DUMP = 2;
export const MOUNTPROC3_UMNT = 3;
export const MOUNTPROC3_UMNTALL = 4;
export const MOUNTPROC3_EXPORT = 5;

/** MNTPATHLEN and MNTNAMLEN (appendix I). */
export const MNTPATHLEN = 1024;
export const MNTNAMLEN = 255;

/** mountstat3 */
export const MNT3_OK = 0;
export const MNT3ERR_NOENT = 2;
export const MNT3ERR_ACCES = 13;
export const MNT3ERR_NOTDIR = 20;
export const MNT3ERR_INVAL = 22;
export const MNT3ERR_SERVERFAULT = 10006;

export type MountArgs =
  | { readonly proc: "null" | "dump" | "umntall" | "export" }
  | { readonly proc: "mnt" | "umnt"; readonly path: string };

export type MountResult =
  | { readonly proc: "null" | "umnt" | "umntall" }
  | { readonly proc: "dump" }
  | {
      readonly proc: "mnt";
      readonly status: number;
      readonly fh?: Buffer | undefined;
      readonly flavors?: readonly number[];
    }
  | {
      readonly proc: "export";
      readonly exports: readonly { readonly dir: string; readonly groups: readonly string[] }[];
    };

export function decodeMountArgs(proc: number, args: Buffer): MountArgs | undefined {
  switch (proc) {
    case MOUNTPROC3_NULL:
      return { proc: "null" };
    case MOUNTPROC3_DUMP:
      return { proc: "dump" };
    case MOUNTPROC3_UMNTALL:
      return { proc: "umntall" };
    case MOUNTPROC3_EXPORT:
      return { proc: "export" };
    case MOUNTPROC3_MNT:
    case MOUNTPROC3_UMNT: {
      const path = new XdrReader(args).opaque(MNTPATHLEN, "dirpath");
      if (path.includes(0)) throw new XdrError("dirpath holds a NUL");
      return { proc: proc === MOUNTPROC3_MNT ? "mnt" : "umnt", path: path.toString("utf8") };
    }
    default:
      return undefined;
  }
}

export function encodeMountResult(w: XdrWriter, r: MountResult): XdrWriter {
  switch (r.proc) {
    case "null":
    case "umnt":
    case "umntall":
      return w;
    case "dump":
      // mountlist: this server keeps no list of mounts (UMNT is advisory,
      // and a list would only grow with clients that never say goodbye).
      return w.bool(false);
    case "mnt":
      w.uint32(r.status);
      if (r.status !== MNT3_OK) return w;
      if (r.fh === undefined) throw new Error("MNT result with status OK and no file handle");
      w.opaque(r.fh).uint32(r.flavors?.length ?? 0);
      for (const f of r.flavors ?? []) w.uint32(f);
      return w;
    case "export":
      for (const e of r.exports) {
        w.bool(true).string(e.dir);
        for (const g of e.groups) w.bool(true).string(g);
        w.bool(false);
      }
      return w.bool(false);
  }
}

/** A MNT reply as a client reads it (tests): the status, and the root handle when OK. */
export function decodeMountMntResult(results: Buffer): { status: number; fh?: Buffer; flavors?: number[] } {
  const r = new XdrReader(results);
  const status = r.uint32("mountstat3");
  if (status !== MNT3_OK) return { status };
  const fh = r.opaque(NFS3_FHSIZE, "fhandle3");
  const count = r.uint32("auth_flavors count");
  if (count > 16) throw new XdrError(`auth_flavors: ${count} flavors`);
  const flavors: number[] = [];
  for (let i = 0; i < count; i++) flavors.push(r.uint32("auth_flavor"));
  return { status, fh, flavors };
}

/** An EXPORT reply as a client reads it (tests), at most `max` exports. */
export function decodeMountExports(results: Buffer, max = 1024): { dir: string; groups: string[] }[] {
  const r = new XdrReader(results);
  const out: { dir: string; groups: string[] }[] = [];
  while (r.bool("exports more")) {
    if (out.length === max) throw new XdrError(`exports longer than ${max} entries`);
    const dir = r.string(MNTPATHLEN, "ex_dir");
    const groups: string[] = [];
    while (r.bool("groups more")) {
      if (groups.length === max) throw new XdrError(`groups longer than ${max} entries`);
      groups.push(r.string(MNTNAMLEN, "gr_name"));
    }
    out.push({ dir, groups });
  }
  return out;
}
