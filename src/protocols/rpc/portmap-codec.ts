/**
 * Portmapper version 2 (RFC 1833 section 3): program 100000, the directory
 * clients ask for the ports of MOUNT and NFS. Only what a read-only NFS
 * server's own portmapper answers: NULL, GETPORT, DUMP; SET and UNSET are
 * decoded so they can be refused (answer false), CALLIT is not served.
 */
import { XdrError } from "../xdr/xdr-error.js";
import { XdrReader } from "../xdr/xdr-reader.js";
import type { XdrWriter } from "../xdr/xdr-writer.js";

export const PMAP_VERSION = 2;
export const PMAPPROC_NULL = 0;
export const PMAPPROC_SET = 1;
export const PMAPPROC_UNSET = 2;
export const PMAPPROC_GETPORT = 3;
export const PMAPPROC_DUMP = 4;

/** struct mapping: program, version, protocol (6 TCP, 17 UDP), port. */
export interface PortMapping {
  readonly prog: number;
  readonly vers: number;
  readonly prot: number;
  readonly port: number;
}

export type PortmapArgs =
  | { readonly proc: "null" }
  | { readonly proc: "set" | "unset" | "getport"; readonly mapping: PortMapping }
  | { readonly proc: "dump" };

/**
 * The arguments of procedure `proc`; undefined for a procedure not served
 * (the caller answers PROC_UNAVAIL). XdrError when they are malformed.
 */
export function decodePortmapArgs(proc: number, args: Buffer): PortmapArgs | undefined {
  switch (proc) {
    case PMAPPROC_NULL:
      return { proc: "null" };
    case PMAPPROC_DUMP:
      return { proc: "dump" };
    case PMAPPROC_SET:
    case PMAPPROC_UNSET:
    case PMAPPROC_GETPORT: {
      const name = proc === PMAPPROC_SET ? "set" : proc === PMAPPROC_UNSET ? "unset" : "getport";
      return { proc: name, mapping: readMapping(new XdrReader(args)) };
    }
    default:
      return undefined;
  }
}

function readMapping(r: XdrReader): PortMapping {
  const prog = r.uint32("mapping prog");
  const vers = r.uint32("mapping vers");
  const prot = r.uint32("mapping prot");
  const port = r.uint32("mapping port");
  return { prog, vers, prot, port };
}

export function encodeMapping(w: XdrWriter, m: PortMapping): XdrWriter {
  return w.uint32(m.prog).uint32(m.vers).uint32(m.prot).uint32(m.port);
}

/** DUMP's pmaplist: each entry behind a "more" boolean, then false (section 3). */
export function encodePortmapList(w: XdrWriter, mappings: readonly PortMapping[]): XdrWriter {
  for (const m of mappings) encodeMapping(w.bool(true), m);
  return w.bool(false);
}

/** Reads a DUMP reply's list (clients, tests), at most `max` entries. */
export function decodePortmapList(results: Buffer, max = 1024): PortMapping[] {
  const r = new XdrReader(results);
  const out: PortMapping[] = [];
  while (r.bool("pmaplist more")) {
    if (out.length === max) throw new XdrError(`pmaplist longer than ${max} entries`);
    out.push(readMapping(r));
  }
  return out;
}
