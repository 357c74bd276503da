/**
 * Finds the file for a checked relative path (see tftp-request-path.ts) on
 * disk, inside the server's root or one of its mounts, and refuses anything
 * that is not a regular file inside it: symlinks are followed (a root may
 * link pxelinux.cfg/default to a shared file) but the real path must stay
 * inside the folder it was asked under; directories, devices, FIFOs and
 * sockets are refused.
 */
import type { Stats } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";

/** A folder served under a prefix of the TFTP name space, e.g. "images/debian" -> /var/.../debian/v3. */
export interface TftpMount {
  /** Relative, "/"-separated, no leading or trailing slash. */
  readonly prefix: string;
  readonly dir: string;
}

export type ResolvedFile =
  | { readonly kind: "file"; readonly realPath: string; readonly stat: Stats }
  | { readonly kind: "not-found"; readonly reason: string }
  | { readonly kind: "violation"; readonly reason: string };

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

export class TftpFileResolver {
  readonly #root: string;
  #mounts: readonly TftpMount[];
  readonly #caseInsensitive: boolean;

  constructor(root: string, options: { caseInsensitive: boolean; mounts?: readonly TftpMount[] }) {
    this.#root = root;
    this.#caseInsensitive = options.caseInsensitive;
    this.#mounts = TftpFileResolver.#sorted(options.mounts ?? []);
  }

  /** Replaces the mounts (an image switch): new requests see the new folders at once. */
  setMounts(mounts: readonly TftpMount[]): void {
    this.#mounts = TftpFileResolver.#sorted(mounts);
  }

  static #sorted(mounts: readonly TftpMount[]): readonly TftpMount[] {
    // Longest prefix first, so "images/debian" wins over "images".
    return [...mounts]
      .map((m) => ({ prefix: m.prefix.replace(/^\/+|\/+$/g, ""), dir: m.dir }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }

  async resolve(path: string): Promise<ResolvedFile> {
    let base = this.#root;
    let rest = path;
    for (const m of this.#mounts) {
      if (m.prefix === "") continue;
      if (path === m.prefix) return { kind: "violation", reason: "not a regular file (a mount folder)" };
      if (path.startsWith(`${m.prefix}/`)) {
        base = m.dir;
        rest = path.slice(m.prefix.length + 1);
        break;
      }
    }
    let baseReal: string;
    try {
      baseReal = await realpath(base);
    } catch (e) {
      return { kind: "not-found", reason: `served folder ${base} is missing (${errno(e) ?? String(e)})` };
    }
    const parts = rest.split("/");
    let real: string;
    try {
      real = await realpath(join(baseReal, ...parts));
    } catch (e) {
      const code = errno(e);
      if (code === "ELOOP") return { kind: "violation", reason: "symlink loop" };
      if (code === "EACCES") return { kind: "violation", reason: "permission denied on the server" };
      if ((code === "ENOENT" || code === "ENOTDIR") && this.#caseInsensitive) {
        const found = await this.#findIgnoringCase(baseReal, parts);
        if (found === null) return { kind: "not-found", reason: "no such file (case-insensitive)" };
        try {
          real = await realpath(found);
        } catch {
          return { kind: "not-found", reason: "no such file (case-insensitive)" };
        }
      } else if (code === "ENOENT" || code === "ENOTDIR") {
        return { kind: "not-found", reason: "no such file" };
      } else {
        return { kind: "violation", reason: `cannot resolve (${code ?? String(e)})` };
      }
    }
    if (real !== baseReal && !real.startsWith(baseReal.endsWith(sep) ? baseReal : baseReal + sep))
      return { kind: "violation", reason: "symlink leads outside the served folder" };
    let st: Stats;
    try {
      st = await stat(real);
    } catch (e) {
      const code = errno(e);
      if (code === "ENOENT") return { kind: "not-found", reason: "no such file" };
      return { kind: "violation", reason: `cannot stat (${code ?? String(e)})` };
    }
    if (!st.isFile()) return { kind: "violation", reason: `not a regular file (${fileType(st)})` };
    return { kind: "file", realPath: real, stat: st };
  }

  /**
   * For roots made on Windows, where PXELINUX.0 and pxelinux.0 are one file:
   * walks the path a component at a time, taking an exact match first and else
   * the first name (in sorted order, so the choice is stable) equal ignoring case.
   */
  async #findIgnoringCase(baseReal: string, parts: readonly string[]): Promise<string | null> {
    let dir = baseReal;
    for (const part of parts) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return null;
      }
      if (names.includes(part)) {
        dir = join(dir, part);
        continue;
      }
      const lower = part.toLowerCase();
      const match = names.sort().find((n) => n.toLowerCase() === lower);
      if (match === undefined) return null;
      dir = join(dir, match);
    }
    return dir;
  }
}

function fileType(st: Stats): string {
  if (st.isDirectory()) return "directory";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  if (st.isFIFO()) return "FIFO";
  if (st.isSocket()) return "socket";
  return "special file";
}
