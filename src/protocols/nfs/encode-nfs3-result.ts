/**
 * Writes the results of an NFSv3 procedure (RFC 1813 section 3.3) after the
 * RPC reply header. Each failure arm carries what the RFC lists for it
 * (post_op_attr, wcc_data), empty where the server has nothing to say.
 */
import type { XdrWriter } from "../xdr/xdr-writer.js";
import { NFS3_OK, NFS3ERR_ROFS, NFSPROC3_LINK, NFSPROC3_RENAME } from "./nfs3-constants.js";
import type { Fattr3, Nfs3Result } from "./nfs3-types.js";

export function encodeFattr3(w: XdrWriter, a: Fattr3): XdrWriter {
  return w
    .uint32(a.type)
    .uint32(a.mode)
    .uint32(a.nlink)
    .uint32(a.uid)
    .uint32(a.gid)
    .uint64(a.size)
    .uint64(a.used)
    .uint32(a.rdev.major)
    .uint32(a.rdev.minor)
    .uint64(a.fsid)
    .uint64(a.fileid)
    .uint32(a.atime.seconds)
    .uint32(a.atime.nseconds)
    .uint32(a.mtime.seconds)
    .uint32(a.mtime.nseconds)
    .uint32(a.ctime.seconds)
    .uint32(a.ctime.nseconds);
}

/** post_op_attr: attributes follow or not. */
function postOpAttr(w: XdrWriter, a: Fattr3 | undefined): XdrWriter {
  return w.optional(a, encodeFattr3);
}

/** A result whose status is NFS3_OK must carry its `ok` arm: a bug otherwise, not bad input. */
function okArm<T>(r: {
  readonly proc: string;
  readonly status: number;
  readonly ok?: T | undefined;
}): T | undefined {
  if (r.status !== NFS3_OK) return undefined;
  if (r.ok === undefined) throw new Error(`NFSv3 ${r.proc} result with status OK and no results`);
  return r.ok;
}

export function encodeNfs3Result(w: XdrWriter, r: Nfs3Result): XdrWriter {
  const tail = encodeNfs3ResultHead(w, r);
  // The data and its padding: a multiple of four, so nothing more is padded.
  if (tail.length > 0) w.fixedOpaque(Buffer.concat(tail));
  return w;
}

const PADDING = [Buffer.alloc(0), Buffer.alloc(1), Buffer.alloc(2), Buffer.alloc(3)] as const;

/**
 * The same, but a READ's data is not copied into the writer: it is returned
 * with its padding, to follow the written bytes on the wire (one writev), so
 * a 1 MiB read is not copied once more on its way out. Everything else is
 * written whole and nothing is returned.
 */
export function encodeNfs3ResultHead(w: XdrWriter, r: Nfs3Result): readonly Buffer[] {
  if (r.proc === "read" && r.status === NFS3_OK) {
    const ok = okArm(r)!;
    postOpAttr(w.uint32(r.status), r.attr);
    w.uint32(ok.count).bool(ok.eof).uint32(ok.data.length);
    const pad = PADDING[(4 - (ok.data.length & 3)) & 3]!;
    return pad.length > 0 ? [ok.data, pad] : [ok.data];
  }
  encodeWhole(w, r);
  return [];
}

function encodeWhole(w: XdrWriter, r: Nfs3Result): XdrWriter {
  switch (r.proc) {
    case "null":
      return w;
    case "write":
      // wcc_data is pre_op_attr + post_op_attr, both absent: two false
      // booleans. RENAME has two of them; LINK a post_op_attr and one.
      w.uint32(NFS3ERR_ROFS);
      if (r.number === NFSPROC3_RENAME) return w.bool(false).bool(false).bool(false).bool(false);
      if (r.number === NFSPROC3_LINK) return w.bool(false).bool(false).bool(false);
      return w.bool(false).bool(false);
    case "getattr": {
      const ok = okArm(r);
      w.uint32(r.status);
      return ok ? encodeFattr3(w, ok.attr) : w;
    }
    case "lookup": {
      const ok = okArm(r);
      w.uint32(r.status);
      if (ok) postOpAttr(w.opaque(ok.fh), ok.attr);
      return postOpAttr(w, r.dirAttr);
    }
    case "access": {
      const ok = okArm(r);
      postOpAttr(w.uint32(r.status), r.attr);
      return ok ? w.uint32(ok.access) : w;
    }
    case "readlink": {
      const ok = okArm(r);
      postOpAttr(w.uint32(r.status), r.attr);
      return ok ? w.string(ok.path) : w;
    }
    case "read": {
      const ok = okArm(r);
      postOpAttr(w.uint32(r.status), r.attr);
      return ok ? w.uint32(ok.count).bool(ok.eof).opaque(ok.data) : w;
    }
    case "readdir": {
      const ok = okArm(r);
      postOpAttr(w.uint32(r.status), r.dirAttr);
      if (!ok) return w;
      w.fixedOpaque(ok.cookieverf);
      for (const e of ok.entries) w.bool(true).uint64(e.fileid).string(e.name).uint64(e.cookie);
      return w.bool(false).bool(ok.eof);
    }
    case "readdirplus": {
      const ok = okArm(r);
      postOpAttr(w.uint32(r.status), r.dirAttr);
      if (!ok) return w;
      w.fixedOpaque(ok.cookieverf);
      for (const e of ok.entries) {
        postOpAttr(w.bool(true).uint64(e.fileid).string(e.name).uint64(e.cookie), e.attr);
        w.optional(e.fh, (x, fh) => x.opaque(fh));
      }
      return w.bool(false).bool(ok.eof);
    }
    case "fsstat": {
      const ok = okArm(r);
      postOpAttr(w.uint32(r.status), r.attr);
      if (!ok) return w;
      return w
        .uint64(ok.tbytes)
        .uint64(ok.fbytes)
        .uint64(ok.abytes)
        .uint64(ok.tfiles)
        .uint64(ok.ffiles)
        .uint64(ok.afiles)
        .uint32(ok.invarsec);
    }
    case "fsinfo": {
      const ok = okArm(r);
      postOpAttr(w.uint32(r.status), r.attr);
      if (!ok) return w;
      return w
        .uint32(ok.rtmax)
        .uint32(ok.rtpref)
        .uint32(ok.rtmult)
        .uint32(ok.wtmax)
        .uint32(ok.wtpref)
        .uint32(ok.wtmult)
        .uint32(ok.dtpref)
        .uint64(ok.maxfilesize)
        .uint32(ok.timeDelta.seconds)
        .uint32(ok.timeDelta.nseconds)
        .uint32(ok.properties);
    }
    case "pathconf": {
      const ok = okArm(r);
      postOpAttr(w.uint32(r.status), r.attr);
      if (!ok) return w;
      return w
        .uint32(ok.linkmax)
        .uint32(ok.nameMax)
        .bool(ok.noTrunc)
        .bool(ok.chownRestricted)
        .bool(ok.caseInsensitive)
        .bool(ok.casePreserving);
    }
  }
}

/** XDR bytes of one fattr3 (section 2.6): what a post_op_attr holding it costs, less its boolean. */
export const FATTR3_BYTES = 84;
