/**
 * The loader's one way to the disk: the config file itself, files a layer
 * names with `source:`, the layers/ tree and the image store's folder
 * names. The loader takes it as an argument, so a test hands it a fake
 * folder tree instead of writing one.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";

/** What a path is, symlinks not followed (lstat): the layer cpio carries files and folders only. */
export type DiskEntryKind = "file" | "folder" | "symlink" | "other";

export interface DiskEntry {
  readonly name: string;
  readonly kind: DiskEntryKind;
}

export interface ConfigDisk {
  exists(path: string): boolean;
  /** The whole file. Throws an error with Node's `code` (ENOENT, EACCES, EISDIR) when it cannot. */
  readFile(path: string): Buffer;
  /** A folder's entries, in no particular order. */
  readDir(path: string): readonly DiskEntry[];
  /** The kind of `path` and its permission bits (mode & 0o7777). */
  stat(path: string): { readonly kind: DiskEntryKind; readonly mode: number };
}

export const nodeConfigDisk: ConfigDisk = Object.freeze({
  exists: (path: string) => existsSync(path),
  readFile: (path: string) => readFileSync(path),
  readDir: (path: string) =>
    readdirSync(path, { withFileTypes: true }).map((e) => ({ name: e.name, kind: kindOf(e) })),
  stat: (path: string) => {
    const st = lstatSync(path);
    return { kind: kindOf(st), mode: st.mode & 0o7777 };
  },
});

function kindOf(e: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): DiskEntryKind {
  if (e.isDirectory()) return "folder";
  if (e.isFile()) return "file";
  return e.isSymbolicLink() ? "symlink" : "other";
}
