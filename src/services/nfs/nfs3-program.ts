/**
 * NFS version 3 (RFC 1813), read-only: every procedure that reads is
 * served from the export's tree, every one that writes answers
 * NFS3ERR_ROFS. Stateless: a request carries its file handle, the handle
 * names the tree and the file (file-handle.ts), so after a restart the
 * same handles answer the same way and a hard-mounted client never sees
 * the server went away.
 */
import { encodeNfs3ResultHead } from "../../protocols/nfs/encode-nfs3-result.js";
import { decodeNfs3Args } from "../../protocols/nfs/decode-nfs3-args.js";
import {
  FSF3_HOMOGENEOUS,
  FSF3_LINK,
  FSF3_SYMLINK,
  MAX_NAME_BYTES,
  NFS_VERSION,
  NFS3_OK,
  NFS3ERR_ACCES,
  NFS3ERR_BAD_COOKIE,
  NFS3ERR_BADHANDLE,
  NFS3ERR_INVAL,
  NFS3ERR_ISDIR,
  NFS3ERR_NOENT,
  NFS3ERR_NOTDIR,
  NFS3ERR_STALE,
  NFS3ERR_TOOSMALL,
} from "../../protocols/nfs/nfs3-constants.js";
import type { Fattr3, Nfs3Args, Nfs3Result } from "../../protocols/nfs/nfs3-types.js";
import { PROG_NFS } from "../../protocols/rpc/rpc-constants.js";
import { grantedAccess, mayRead } from "./caller-access.js";
import { ReplyBufferPool } from "../file-io/reply-buffer-pool.js";
import { listDirectory } from "./directory-listing.js";
import { fileAttributes } from "./file-attributes.js";
import { decodeFileHandle, encodeFileHandle } from "./file-handle.js";
import type { TreeEntry } from "./image-tree.js";
import type { NfsExport, NfsExportSource } from "./nfs-export-source.js";
import type { RpcCallContext, RpcOutcome, RpcProgram } from "./rpc-program.js";

export interface Nfs3ProgramOptions {
  /** Largest READ over TCP (FSINFO rtmax); the Linux client's default and limit is 1 MiB. */
  readonly maxReadTcp: number;
  /** Largest READ over UDP: a reply must fit one datagram. */
  readonly maxReadUdp: number;
}

export const defaultNfs3ProgramOptions: Nfs3ProgramOptions = Object.freeze({
  maxReadTcp: 1024 * 1024,
  maxReadUdp: 32 * 1024,
});

interface Resolved {
  readonly exp: NfsExport;
  readonly entry: TreeEntry;
  readonly attr: Fattr3;
}

export class Nfs3Program implements RpcProgram {
  readonly prog = PROG_NFS;
  readonly lowVersion = NFS_VERSION;
  readonly highVersion = NFS_VERSION;
  readonly #source: NfsExportSource;
  readonly #o: Nfs3ProgramOptions;
  /**
   * READ buffers, reused once sent: a fresh 1 MiB buffer costs page faults
   * on first touch, more than reading into it from the page cache (the
   * NBD service pools its buffers for the same reason).
   */
  readonly #buffers = new ReplyBufferPool({ maxBytes: 32 * 1024 * 1024 });
  /** Attributes never change (an image version is immutable): computed once per entry. */
  readonly #attrs = new WeakMap<TreeEntry, Fattr3>();

  constructor(source: NfsExportSource, options: Partial<Nfs3ProgramOptions> = {}) {
    this.#source = source;
    this.#o = { ...defaultNfs3ProgramOptions, ...options };
  }

  async call(proc: number, args: Buffer, ctx: RpcCallContext): Promise<RpcOutcome> {
    const a = decodeNfs3Args(proc, args);
    if (a === undefined) return { stat: "proc-unavail" };
    const { result, release } =
      a.proc === "read"
        ? await this.#read(a, ctx)
        : { result: await this.#answer(a, ctx), release: undefined };
    return { stat: "success", size: 512, write: (w) => encodeNfs3ResultHead(w, result), release };
  }

  async #resolve(fh: Buffer): Promise<Resolved | number> {
    const decoded = decodeFileHandle(fh);
    if (decoded === undefined) return NFS3ERR_BADHANDLE;
    const exp = await this.#source.byKey(decoded.key);
    const entry = exp?.tree.entry(decoded.fileId);
    if (exp === undefined || entry === undefined) return NFS3ERR_STALE;
    return { exp, entry, attr: this.#attr(exp, entry) };
  }

  #attr(exp: NfsExport, entry: TreeEntry): Fattr3 {
    let attr = this.#attrs.get(entry);
    if (attr === undefined) {
      attr = fileAttributes(entry.stats, entry.id, BigInt(`0x${exp.key}`));
      this.#attrs.set(entry, attr);
    }
    return attr;
  }

  async #answer(a: Nfs3Args, ctx: RpcCallContext): Promise<Nfs3Result> {
    switch (a.proc) {
      case "null":
        return { proc: "null" };
      case "write":
        return { proc: "write", number: a.number };
      case "getattr": {
        const r = await this.#resolve(a.fh);
        if (typeof r === "number") return { proc: "getattr", status: r };
        return { proc: "getattr", status: NFS3_OK, ok: { attr: r.attr } };
      }
      case "lookup": {
        const r = await this.#resolve(a.dir);
        if (typeof r === "number") return { proc: "lookup", status: r };
        if (!r.entry.stats.isDirectory()) return { proc: "lookup", status: NFS3ERR_NOTDIR, dirAttr: r.attr };
        if (grantedAccess(r.entry.stats, ctx.cred, 0x02) === 0) {
          return { proc: "lookup", status: NFS3ERR_ACCES, dirAttr: r.attr };
        }
        const found = r.exp.tree.lookup(r.entry, a.name);
        if (found === undefined) return { proc: "lookup", status: NFS3ERR_NOENT, dirAttr: r.attr };
        return {
          proc: "lookup",
          status: NFS3_OK,
          dirAttr: r.attr,
          ok: { fh: encodeFileHandle(r.exp.key, found.id), attr: this.#attr(r.exp, found) },
        };
      }
      case "access": {
        const r = await this.#resolve(a.fh);
        if (typeof r === "number") return { proc: "access", status: r };
        const access = grantedAccess(r.entry.stats, ctx.cred, a.access);
        return { proc: "access", status: NFS3_OK, attr: r.attr, ok: { access } };
      }
      case "readlink": {
        const r = await this.#resolve(a.fh);
        if (typeof r === "number") return { proc: "readlink", status: r };
        if (!r.entry.stats.isSymbolicLink()) return { proc: "readlink", status: NFS3ERR_INVAL, attr: r.attr };
        const path = await r.exp.tree.readlink(r.entry);
        return { proc: "readlink", status: NFS3_OK, attr: r.attr, ok: { path } };
      }
      case "read":
        return (await this.#read(a, ctx)).result;
      case "readdir":
      case "readdirplus":
        return this.#readdir(a, ctx);
      case "fsstat": {
        const r = await this.#resolve(a.fh);
        if (typeof r === "number") return { proc: "fsstat", status: r };
        const files = BigInt(r.exp.tree.size);
        return {
          proc: "fsstat",
          status: NFS3_OK,
          attr: r.attr,
          // Full and unchanging: nothing free, nothing will change for an hour.
          ok: { tbytes: 0n, fbytes: 0n, abytes: 0n, tfiles: files, ffiles: 0n, afiles: 0n, invarsec: 3600 },
        };
      }
      case "fsinfo": {
        const r = await this.#resolve(a.fh);
        if (typeof r === "number") return { proc: "fsinfo", status: r };
        const rt = ctx.transport === "udp" ? this.#o.maxReadUdp : this.#o.maxReadTcp;
        return {
          proc: "fsinfo",
          status: NFS3_OK,
          attr: r.attr,
          ok: {
            rtmax: rt,
            rtpref: rt,
            rtmult: 4096,
            wtmax: rt,
            wtpref: rt,
            wtmult: 4096,
            dtpref: 64 * 1024,
            maxfilesize: (1n << 63n) - 1n,
            timeDelta: { seconds: 0, nseconds: 1 },
            properties: FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS,
          },
        };
      }
      case "pathconf": {
        const r = await this.#resolve(a.fh);
        if (typeof r === "number") return { proc: "pathconf", status: r };
        return {
          proc: "pathconf",
          status: NFS3_OK,
          attr: r.attr,
          ok: {
            linkmax: 0xffff,
            nameMax: MAX_NAME_BYTES,
            noTrunc: true,
            chownRestricted: true,
            caseInsensitive: false,
            casePreserving: true,
          },
        };
      }
    }
  }

  /** A READ's result, and what to call once its data has been sent (the buffer goes back to the pool). */
  async #read(
    a: Extract<Nfs3Args, { proc: "read" }>,
    ctx: RpcCallContext,
  ): Promise<{ result: Nfs3Result; release?: (() => void) | undefined }> {
    const r = await this.#resolve(a.fh);
    if (typeof r === "number") return { result: { proc: "read", status: r } };
    const s = r.entry.stats;
    if (s.isDirectory()) return { result: { proc: "read", status: NFS3ERR_ISDIR, attr: r.attr } };
    if (!s.isFile()) return { result: { proc: "read", status: NFS3ERR_INVAL, attr: r.attr } };
    if (!mayRead(s, ctx.cred)) return { result: { proc: "read", status: NFS3ERR_ACCES, attr: r.attr } };
    const max = ctx.transport === "udp" ? this.#o.maxReadUdp : this.#o.maxReadTcp;
    const size = s.size;
    if (a.offset >= size) {
      return {
        result: {
          proc: "read",
          status: NFS3_OK,
          attr: r.attr,
          ok: { count: 0, eof: true, data: Buffer.alloc(0) },
        },
      };
    }
    const want = r.exp.tree.readable(r.entry, Number(a.offset), Math.min(a.count, max));
    const buffer = this.#buffers.get(want);
    let got: number;
    try {
      got = await r.exp.tree.readInto(r.entry, Number(a.offset), buffer);
    } catch (err) {
      this.#buffers.put(buffer);
      throw err;
    }
    const data = got === want ? buffer : buffer.subarray(0, got);
    const eof = a.offset + BigInt(got) >= size;
    return {
      result: { proc: "read", status: NFS3_OK, attr: r.attr, ok: { count: got, eof, data } },
      release: () => this.#buffers.put(buffer),
    };
  }

  async #readdir(
    a: Extract<Nfs3Args, { proc: "readdir" | "readdirplus" }>,
    ctx: RpcCallContext,
  ): Promise<Nfs3Result> {
    const r = await this.#resolve(a.dir);
    if (typeof r === "number") return { proc: a.proc, status: r };
    if (!r.entry.stats.isDirectory()) return { proc: a.proc, status: NFS3ERR_NOTDIR, dirAttr: r.attr };
    const verf = Buffer.from(r.exp.key, "hex");
    if (a.cookie !== 0n && !a.cookieverf.equals(verf) && !a.cookieverf.equals(ZERO_VERF)) {
      return { proc: a.proc, status: NFS3ERR_BAD_COOKIE, dirAttr: r.attr };
    }
    // The client's counts, but never more than one READ's worth: a reply is
    // built in memory, and a huge count on a huge folder must not build a huge one.
    const cap = ctx.transport === "udp" ? this.#o.maxReadUdp : this.#o.maxReadTcp;
    const plus = a.proc === "readdirplus" ? { dircount: Math.min(a.dircount, cap) } : undefined;
    const maxBytes = Math.min(a.proc === "readdirplus" ? a.maxcount : a.count, cap);
    const page = listDirectory(r.exp.tree, r.entry, a.cookie, maxBytes, plus);
    if (page.kind === "bad-cookie") return { proc: a.proc, status: NFS3ERR_BAD_COOKIE, dirAttr: r.attr };
    if (page.kind === "too-small") return { proc: a.proc, status: NFS3ERR_TOOSMALL, dirAttr: r.attr };
    if (a.proc === "readdir") {
      const entries = page.entries.map((e) => ({
        fileid: BigInt(e.entry.id),
        name: e.name,
        cookie: e.cookie,
      }));
      return {
        proc: "readdir",
        status: NFS3_OK,
        dirAttr: r.attr,
        ok: { cookieverf: verf, entries, eof: page.eof },
      };
    }
    const entries = page.entries.map((e) => ({
      fileid: BigInt(e.entry.id),
      name: e.name,
      cookie: e.cookie,
      attr: this.#attr(r.exp, e.entry),
      fh: encodeFileHandle(r.exp.key, e.entry.id),
    }));
    return {
      proc: "readdirplus",
      status: NFS3_OK,
      dirAttr: r.attr,
      ok: { cookieverf: verf, entries, eof: page.eof },
    };
  }
}

/** Some clients send a zero verifier with every cookie; the tree never changes, so that is safe. */
const ZERO_VERF = Buffer.alloc(8);
