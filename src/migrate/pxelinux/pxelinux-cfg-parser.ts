/**
 * pxelinux.cfg lines (pxelinux-cfg-lines.ts, with INCLUDEs expanded by
 * pxelinux-include.ts) into what the file declares: its labels, each with
 * the kernel, APPEND, INITRD and menu text written under it, and the
 * settings for the whole file (DEFAULT, ONTIMEOUT, TIMEOUT, UI, a global
 * APPEND, ...). DEFAULT, TIMEOUT and the like are global wherever they are
 * written, even under a label, as pxelinux reads them; MENU DEFAULT marks
 * the label it is written under.
 */
import type { SourceLocation } from "../../config/model.js";
import type { ImportProblem } from "../import-problem.js";
import { type PxelinuxLine, readPxelinuxLines } from "./pxelinux-cfg-lines.js";
import { PXELINUX_DIRECTIVE_TABLE } from "./pxelinux-directive-table.js";
import { expandPxelinuxIncludes } from "./pxelinux-include.js";
import type { PxelinuxTree } from "./pxelinux-tree.js";

export interface PxelinuxLabel {
  readonly name: string;
  readonly at: SourceLocation;
  /** The comments above the label and above each of its lines. */
  readonly comments: string[];
  menuLabel?: string;
  kernel?: string;
  append?: string;
  initrd?: string;
  localboot?: boolean;
  /** The MENU DEFAULT line written under it. */
  menuDefault?: PxelinuxLine;
  /** Written between MENU BEGIN and MENU END: an entry of a submenu, whose MENU DEFAULT is that submenu's. */
  readonly inSubmenu: boolean;
  /** Its other lines, kept as comments on its image. */
  readonly unmapped: PxelinuxLine[];
}

export interface PxelinuxCfg {
  /** In file order. */
  readonly labels: readonly PxelinuxLabel[];
  /** The last DEFAULT line: pxelinux keeps the last one it reads. */
  readonly defaultLine: PxelinuxLine | undefined;
  /** The last ONTIMEOUT line: what boots when TIMEOUT runs out. */
  readonly ontimeout: PxelinuxLine | undefined;
  /** The last UI line: a menu module (menu.c32, vesamenu.c32) shows the labels. */
  readonly ui: PxelinuxLine | undefined;
  /** An APPEND before the first label: the command line of labels without their own. */
  readonly globalAppend: PxelinuxLine | undefined;
  /** TIMEOUT, in tenths of a second. */
  readonly timeout: number | undefined;
  /** The other global lines (PROMPT, MENU TITLE, ...), kept as comments. */
  readonly globalLines: readonly PxelinuxLine[];
}

export function parsePxelinuxCfg(
  text: string,
  file: string,
  problems: ImportProblem[],
  tree?: PxelinuxTree,
  rootKey?: string,
): PxelinuxCfg {
  const lines = expandPxelinuxIncludes(readPxelinuxLines(text, file, problems), tree, rootKey, problems);
  const labels: PxelinuxLabel[] = [];
  const globalLines: PxelinuxLine[] = [];
  let current: PxelinuxLabel | undefined;
  let defaultLine: PxelinuxLine | undefined;
  let ontimeout: PxelinuxLine | undefined;
  let ui: PxelinuxLine | undefined;
  let globalAppend: PxelinuxLine | undefined;
  let timeout: number | undefined;
  let submenuDepth = 0;
  const global = (l: PxelinuxLine) => {
    if (l.keyword === "default") defaultLine = l;
    else if (l.keyword === "ontimeout") ontimeout = l;
    else if (l.keyword === "ui") ui = l;
    else if (l.keyword === "timeout") timeout = Number(l.args.trim());
    else globalLines.push(l);
  };
  for (const l of lines) {
    const kw = l.keyword;
    // doc/menu.txt: MENU BEGIN ... MENU END nests a submenu; its entries are labels like the others.
    if (kw === "menu" && /^begin(\s|$)/i.test(l.args)) {
      submenuDepth++;
      current = undefined;
      globalLines.push(l);
      continue;
    }
    if (kw === "menu" && /^end\s*$/i.test(l.args)) {
      if (submenuDepth > 0) submenuDepth--;
      current = undefined;
      globalLines.push(l);
      continue;
    }
    if (kw === "label") {
      current = {
        name: l.args.trim(),
        at: l.at,
        comments: l.comments,
        unmapped: [],
        inSubmenu: submenuDepth > 0,
      };
      if (!current.name)
        problems.push({
          severity: "error",
          at: l.at,
          message: "LABEL without a name",
          hint: "write it as LABEL NAME",
        });
      labels.push(current);
      continue;
    }
    if (current) {
      if (kw === "kernel" || kw === "linux") current.kernel = l.args.trim();
      else if (kw === "append") current.append = l.args.trim();
      else if (kw === "initrd") current.initrd = l.args.trim();
      else if (kw === "menu" && /^label(\s|$)/i.test(l.args)) current.menuLabel = menuText(l.args);
      else if (kw === "menu" && /^default\s*$/i.test(l.args)) current.menuDefault = l;
      else if (kw === "localboot") current.localboot = true;
      else if (PXELINUX_DIRECTIVE_TABLE.isGlobal(kw)) {
        global(l);
        continue;
      } else current.unmapped.push(l);
      if (l.comments.length) current.comments.push(...l.comments);
      continue;
    }
    if (kw === "append") globalAppend = l;
    else global(l);
  }
  return { labels, defaultLine, ontimeout, ui, globalAppend, timeout, globalLines };
}

/**
 * MENU LABEL's text without its `^` hotkey markers (doc/menu.txt: "^"
 * marks the hotkey and is not shown).
 */
function menuText(args: string): string {
  return args
    .replace(/^label\s*/i, "")
    .replaceAll("^", "")
    .trim();
}
