/**
 * `INCLUDE file` and `MENU INCLUDE file` (syslinux's doc/syslinux.txt and
 * doc/menu.txt): the included file's lines take the INCLUDE line's place,
 * as pxelinux reads them. Files come from the TFTP tree readImportFiles
 * read ahead (pxelinux-tree.ts); one that is not there, a cycle, nesting
 * deeper than NESTING_LIMIT or an expansion past MAX_EXPANDED_LINES is an
 * error at the INCLUDE line, since the labels and DEFAULT it would have
 * brought decide what boots.
 */
import { checkImportText } from "../check-import-text.js";
import type { ImportProblem } from "../import-problem.js";
import { NESTING_LIMIT } from "../nesting-limit.js";
import { type PxelinuxLine, readPxelinuxLines } from "./pxelinux-cfg-lines.js";
import { type PxelinuxTree, tftpPath } from "./pxelinux-tree.js";

/**
 * The most lines one config expands to. A file that includes another
 * twice, which includes a third twice, ... doubles at every level; real
 * menus stay under a few thousand lines.
 */
export const MAX_EXPANDED_LINES = 200_000;

export function expandPxelinuxIncludes(
  lines: readonly PxelinuxLine[],
  tree: PxelinuxTree | undefined,
  /** The including file's own path under the TFTP root, when known: a file that includes itself is a cycle. */
  rootKey: string | undefined,
  problems: ImportProblem[],
): PxelinuxLine[] {
  const out: PxelinuxLine[] = [];
  let overflow = false;
  const walk = (from: readonly PxelinuxLine[], chain: readonly string[]) => {
    for (const l of from) {
      if (overflow) return;
      const target = includeTarget(l);
      if (target === undefined) {
        if (out.length >= MAX_EXPANDED_LINES) {
          overflow = true;
          problems.push({
            severity: "error",
            at: l.at,
            message: `INCLUDE expands this config past ${MAX_EXPANDED_LINES} lines`,
            hint: "include each file once",
          });
          return;
        }
        out.push(l);
        continue;
      }
      const refuse = (message: string, hint: string) =>
        problems.push({ severity: "error", at: l.at, message, hint });
      if (target === "") {
        refuse("INCLUDE without a file name", "write INCLUDE pxelinux.cfg/FILE");
        continue;
      }
      const key = tftpPath(target);
      if (key === null) {
        refuse(
          `INCLUDE ${target}: not a path under the TFTP root`,
          "bootfleet reads included files from the TFTP root pxelinux.0 is served from",
        );
        continue;
      }
      if (!tree) {
        refuse(
          `INCLUDE ${target}: the included file was not read`,
          "import the file from its TFTP tree (tftpboot/pxelinux.cfg/FILE) or the pxelinux.cfg folder, so that bootfleet finds the files it includes",
        );
        continue;
      }
      const included = tree.files.get(key);
      if (!included) {
        refuse(
          `INCLUDE ${target}: no such file under the TFTP root`,
          "pxelinux would skip this INCLUDE and boot without its labels; add the file, or remove the line",
        );
        continue;
      }
      if (chain.includes(key)) {
        refuse(
          `INCLUDE ${target}: includes itself (${[...chain, key].join(" -> ")})`,
          "remove the INCLUDE that closes the loop",
        );
        continue;
      }
      if (chain.length >= NESTING_LIMIT) {
        refuse(
          `INCLUDE nested deeper than ${NESTING_LIMIT} files`,
          `bootfleet follows INCLUDE ${NESTING_LIMIT} files deep; include the labels directly`,
        );
        continue;
      }
      const checked = checkImportText(included.file, included.text);
      problems.push(...checked);
      if (checked.some((p) => p.severity === "error")) continue;
      walk(readPxelinuxLines(included.text, included.file, problems), [...chain, key]);
    }
  };
  walk(lines, rootKey === undefined ? [] : [rootKey]);
  return out;
}

/** The file an INCLUDE or MENU INCLUDE line names ("" when none); undefined for other lines. */
function includeTarget(l: PxelinuxLine): string | undefined {
  if (l.keyword === "include") return l.args.trim().split(/\s+/)[0] ?? "";
  if (l.keyword === "menu" && /^include(\s|$)/i.test(l.args))
    return l.args.trim().slice("include".length).trim().split(/\s+/)[0] ?? "";
  return undefined;
}
