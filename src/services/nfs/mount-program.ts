/**
 * MOUNT version 3 (RFC 1813 appendix I): a path in, the root handle of that
 * export out. Stateless like NFS itself: no list of mounts is kept (UMNT
 * is advisory), so a server restart loses nothing.
 */
import {
  decodeMountArgs,
  encodeMountResult,
  MNT3_OK,
  MNT3ERR_INVAL,
  MNT3ERR_NOENT,
  MNT3ERR_NOTDIR,
  MOUNT_VERSION,
} from "../../protocols/nfs/mount3-codec.js";
import { AUTH_SYS, PROG_MOUNT } from "../../protocols/rpc/rpc-constants.js";
import type { Logger } from "../../logging/logger.js";
import { encodeFileHandle } from "./file-handle.js";
import type { NfsExportSource } from "./nfs-export-source.js";
import { type RpcCallContext, type RpcOutcome, type RpcProgram, success } from "./rpc-program.js";

/** The root of every tree is file number 1 (image-tree.ts). */
const ROOT_ID = 1;

type Mounted = { readonly key: string; readonly id: number; readonly description: string };

export class MountProgram implements RpcProgram {
  readonly prog = PROG_MOUNT;
  readonly lowVersion = MOUNT_VERSION;
  readonly highVersion = MOUNT_VERSION;
  readonly #source: NfsExportSource;
  readonly #logger: Logger;

  constructor(source: NfsExportSource, logger: Logger) {
    this.#source = source;
    this.#logger = logger;
  }

  async call(proc: number, args: Buffer, ctx: RpcCallContext): Promise<RpcOutcome> {
    const a = decodeMountArgs(proc, args);
    if (a === undefined) return { stat: "proc-unavail" };
    switch (a.proc) {
      case "mnt": {
        const found = await this.#mount(a.path);
        if (typeof found === "number") {
          this.#logger.info({ client: ctx.address, path: a.path }, "nfs: mount of an unknown export");
          return success((w) => encodeMountResult(w, { proc: "mnt", status: found }), 4);
        }
        this.#logger.info({ client: ctx.address, path: a.path, export: found.description }, "nfs: mounted");
        const fh = encodeFileHandle(found.key, found.id);
        return success((w) =>
          encodeMountResult(w, { proc: "mnt", status: MNT3_OK, fh, flavors: [AUTH_SYS] }),
        );
      }
      case "export": {
        const exports = (await this.#source.list()).map((dir) => ({ dir, groups: ["*"] }));
        const size = exports.reduce((n, e) => n + e.dir.length + 24, 4);
        return success((w) => encodeMountResult(w, { proc: "export", exports }), size);
      }
      case "null":
      case "dump":
      case "umnt":
      case "umntall": {
        const proc = a.proc;
        return success((w) => encodeMountResult(w, { proc }), 4);
      }
    }
  }

  /**
   * The export a path names, or a folder inside one, as knfsd allows:
   * libnfs and LTSP clients mount `/images/thin/etc` or the like. The path
   * below the export is walked with the tree's own lookup (folders only,
   * no '.' or '..'), so it cannot leave the export.
   */
  async #mount(path: string): Promise<Mounted | number> {
    const parts = path.split("/").filter((p) => p !== "");
    if (parts.some((p) => p === "." || p === "..")) return MNT3ERR_INVAL;
    for (let n = parts.length; n >= 1; n--) {
      const found = await this.#source.mount(`/${parts.slice(0, n).join("/")}`);
      if (found === undefined) continue;
      let entry = found.tree.entry(ROOT_ID)!;
      for (const name of parts.slice(n)) {
        const next = found.tree.lookup(entry, name);
        if (next === undefined) return MNT3ERR_NOENT;
        if (!next.stats.isDirectory()) return MNT3ERR_NOTDIR;
        entry = next;
      }
      const below = parts.slice(n).join("/");
      return {
        key: found.key,
        id: entry.id,
        description: below ? `${found.description} /${below}` : found.description,
      };
    }
    return MNT3ERR_NOENT;
  }
}
