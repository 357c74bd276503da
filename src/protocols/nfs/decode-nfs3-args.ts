/**
 * Reads the arguments of an NFSv3 call (RFC 1813 section 3.3) from the
 * bytes after the RPC header. Every file handle is checked against
 * NFS3_FHSIZE and every name against NAME_MAX before it is read; malformed
 * arguments raise XdrError (the service answers GARBAGE_ARGS). Undefined for
 * a procedure number RFC 1813 does not define (PROC_UNAVAIL).
 */
import { XdrError } from "../xdr/xdr-error.js";
import { XdrReader } from "../xdr/xdr-reader.js";
import {
  MAX_NAME_BYTES,
  NFS3_COOKIEVERFSIZE,
  NFS3_FHSIZE,
  NFSPROC3_ACCESS,
  NFSPROC3_COMMIT,
  NFSPROC3_FSINFO,
  NFSPROC3_FSSTAT,
  NFSPROC3_GETATTR,
  NFSPROC3_LOOKUP,
  NFSPROC3_NULL,
  NFSPROC3_PATHCONF,
  NFSPROC3_READ,
  NFSPROC3_READDIR,
  NFSPROC3_READDIRPLUS,
  NFSPROC3_READLINK,
  NFSPROC3_SETATTR,
} from "./nfs3-constants.js";
import type { Nfs3Args } from "./nfs3-types.js";

const FH_ONLY: Readonly<Record<number, "getattr" | "readlink" | "fsstat" | "fsinfo" | "pathconf">> = {
  [NFSPROC3_GETATTR]: "getattr",
  [NFSPROC3_READLINK]: "readlink",
  [NFSPROC3_FSSTAT]: "fsstat",
  [NFSPROC3_FSINFO]: "fsinfo",
  [NFSPROC3_PATHCONF]: "pathconf",
};

export function decodeNfs3Args(proc: number, args: Buffer): Nfs3Args | undefined {
  if (proc === NFSPROC3_NULL) return { proc: "null" };
  if (proc >= NFSPROC3_SETATTR && proc <= NFSPROC3_COMMIT && isWrite(proc))
    return { proc: "write", number: proc };
  const r = new XdrReader(args);
  const fhOnly = FH_ONLY[proc];
  if (fhOnly !== undefined) return { proc: fhOnly, fh: readFh(r, "object") };
  switch (proc) {
    case NFSPROC3_LOOKUP: {
      const dir = readFh(r, "dir");
      return { proc: "lookup", dir, name: readName(r) };
    }
    case NFSPROC3_ACCESS: {
      const fh = readFh(r, "object");
      return { proc: "access", fh, access: r.uint32("access") };
    }
    case NFSPROC3_READ: {
      const fh = readFh(r, "file");
      const offset = r.uint64("offset");
      return { proc: "read", fh, offset, count: r.uint32("count") };
    }
    case NFSPROC3_READDIR: {
      const dir = readFh(r, "dir");
      const cookie = r.uint64("cookie");
      const cookieverf = r.fixedOpaque(NFS3_COOKIEVERFSIZE, "cookieverf");
      return { proc: "readdir", dir, cookie, cookieverf, count: r.uint32("count") };
    }
    case NFSPROC3_READDIRPLUS: {
      const dir = readFh(r, "dir");
      const cookie = r.uint64("cookie");
      const cookieverf = r.fixedOpaque(NFS3_COOKIEVERFSIZE, "cookieverf");
      const dircount = r.uint32("dircount");
      return { proc: "readdirplus", dir, cookie, cookieverf, dircount, maxcount: r.uint32("maxcount") };
    }
    default:
      return undefined;
  }
}

/** Procedures 2, 7-15 and 21 change the file system (section 3.3). */
function isWrite(proc: number): boolean {
  return proc === NFSPROC3_SETATTR || (proc >= 7 && proc <= 15) || proc === NFSPROC3_COMMIT;
}

function readFh(r: XdrReader, what: string): Buffer {
  return r.opaque(NFS3_FHSIZE, `${what} file handle`);
}

function readName(r: XdrReader): string {
  const raw = r.opaque(MAX_NAME_BYTES, "name");
  // A name with a NUL or a slash names nothing on a POSIX file system and
  // must never reach a path join.
  if (raw.includes(0) || raw.includes(0x2f)) throw new XdrError("name holds a NUL or '/'");
  return raw.toString("utf8");
}
