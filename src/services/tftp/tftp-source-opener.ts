/**
 * What a checked request path is served from: the boot planner first
 * (per-machine pxelinux/GRUB/iPXE files that are never written to disk), then
 * the root folder or a mount. Small files come from the shared file cache;
 * larger ones are streamed from disk per transfer.
 */
import type { BootPlanner } from "../../boot/boot-planner.js";
import { toNetascii } from "../../protocols/tftp/netascii.js";
import { ErrorCode, errorText } from "../../protocols/tftp/tftp-packet.js";
import type { FileCache } from "../file-cache/file-cache.js";
import { type TftpMount, TftpFileResolver } from "./tftp-file-resolver.js";
import { openFailure, TftpRefusal } from "./tftp-refusal.js";
import type { TransferSourceSpec } from "./transfer-source.js";

export interface TftpSourceOpenerDeps {
  /** The served root folder. */
  readonly root: string;
  readonly mounts: readonly TftpMount[];
  readonly caseInsensitive: boolean;
  readonly planner: Pick<BootPlanner, "generatedFile">;
  readonly cache: FileCache;
  /** Files larger than this (or than the cache's budget) are streamed. */
  readonly cacheMaxFileBytes: number;
  /** Read size for streamed files. */
  readonly readChunkBytes: number;
}

export interface OpenedSource {
  readonly source: TransferSourceSpec;
  /** Made by the planner, not read from disk. */
  readonly generated: boolean;
}

export class TftpSourceOpener {
  readonly #d: TftpSourceOpenerDeps;
  readonly #resolver: TftpFileResolver;
  /** Largest file kept in memory: cacheMaxFileBytes, within the cache's budget. */
  readonly #cacheMaxFile: number;

  constructor(deps: TftpSourceOpenerDeps) {
    this.#d = deps;
    this.#resolver = new TftpFileResolver(deps.root, {
      caseInsensitive: deps.caseInsensitive,
      mounts: deps.mounts,
    });
    this.#cacheMaxFile = Math.min(deps.cacheMaxFileBytes, deps.cache.maxBytes);
  }

  setMounts(mounts: readonly TftpMount[]): void {
    this.#resolver.setMounts(mounts);
  }

  /** Planner first, then the disk; a TftpRefusal says why the client gets an ERROR instead. */
  async open(
    path: string,
    netascii: boolean,
    who: { ip: string; mac: string | undefined },
  ): Promise<OpenedSource> {
    let file: Awaited<ReturnType<BootPlanner["generatedFile"]>>;
    try {
      file = await this.#d.planner.generatedFile(
        path,
        who.mac === undefined ? { ip: who.ip } : { ip: who.ip, mac: who.mac },
      );
    } catch (e) {
      throw new TftpRefusal(
        ErrorCode.NOT_DEFINED,
        "Server error",
        `boot planner failed: ${(e as Error).message}`,
      );
    }
    // A default the planner offers (unlessOnDisk) yields to the administrator's own file.
    if (file !== null && (!file.unlessOnDisk || (await this.#resolver.resolve(path)).kind !== "file"))
      return {
        source: { kind: "buffer", body: netascii ? toNetascii(file.body) : file.body },
        generated: true,
      };

    const found = await this.#resolver.resolve(path);
    if (found.kind === "not-found")
      throw new TftpRefusal(ErrorCode.FILE_NOT_FOUND, errorText[1]!, found.reason);
    if (found.kind === "violation")
      throw new TftpRefusal(ErrorCode.ACCESS_VIOLATION, "Access violation", found.reason);
    if (found.stat.size > this.#cacheMaxFile) {
      if (netascii)
        throw new TftpRefusal(
          ErrorCode.NOT_DEFINED,
          "File too large for netascii mode",
          `netascii of a file over ${this.#d.cacheMaxFileBytes} bytes`,
        );
      const st = found.stat;
      return {
        source: {
          kind: "file",
          realPath: found.realPath,
          size: st.size,
          dev: st.dev,
          ino: st.ino,
          chunkBytes: this.#d.readChunkBytes,
        },
        generated: false,
      };
    }
    try {
      const body = await this.#d.cache.read(found.realPath, found.stat);
      return { source: { kind: "buffer", body: netascii ? toNetascii(body) : body }, generated: false };
    } catch (e) {
      throw openFailure(e);
    }
  }
}
