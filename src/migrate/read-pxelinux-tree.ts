/**
 * Reads ahead the files a pxelinux config INCLUDEs, from its TFTP root
 * (pxelinux/pxelinux-tree.ts says how pxelinux resolves them), so that
 * the importer never touches the disk. Only files named by an INCLUDE
 * line are read, NESTING_LIMIT levels deep and at most MAX_TREE_FILES of
 * them; one that is missing, unreadable or too large is left out, and the
 * importer reports the INCLUDE line that names it.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MAX_IMPORT_SIZE } from "./check-import-text.js";
import { NESTING_LIMIT } from "./nesting-limit.js";
import { type PxelinuxTree, type PxelinuxTreeFile, tftpPath } from "./pxelinux/pxelinux-tree.js";

/** The most files read for one TFTP root: a real tree includes a few dozen. */
export const MAX_TREE_FILES = 1000;

/** `INCLUDE file` and `MENU INCLUDE file`, any case, at the start of a line. */
const INCLUDE_LINE = /^[ \t]*(?:menu[ \t]+)?include[ \t]+(\S+)/gim;

export function readPxelinuxTree(
  tftpRoot: string,
  start: readonly { readonly key: string; readonly file: string; readonly text: string }[],
): PxelinuxTree {
  const files = new Map<string, PxelinuxTreeFile>();
  let level: { readonly key: string; readonly file: string; readonly text: string }[] = [];
  for (const s of start) {
    files.set(s.key, { file: s.file, text: s.text });
    level.push(s);
  }
  for (let depth = 0; depth < NESTING_LIMIT && level.length > 0; depth++) {
    const next: typeof level = [];
    for (const parent of level)
      for (const m of parent.text.matchAll(INCLUDE_LINE)) {
        const key = tftpPath(m[1]!);
        if (key === null || files.has(key) || files.size >= MAX_TREE_FILES) continue;
        const file = join(tftpRoot, key);
        const text = readSmallFile(file);
        if (text === undefined) continue;
        files.set(key, { file, text });
        next.push({ key, file, text });
      }
    level = next;
  }
  return { files, inConfigFolder: true };
}

function readSmallFile(file: string): string | undefined {
  try {
    const stat = statSync(file);
    if (!stat.isFile() || stat.size > MAX_IMPORT_SIZE) return undefined;
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
