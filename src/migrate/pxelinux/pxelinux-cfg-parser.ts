/**
 * pxelinux.cfg lines (pxelinux-cfg-lines.ts) into what the file declares:
 * its labels, each with the kernel, APPEND, INITRD and menu text written
 * under it, and the settings for the whole file (DEFAULT, TIMEOUT, a
 * global APPEND, ...). DEFAULT, TIMEOUT and the like are global wherever
 * they are written, even under a label, as pxelinux reads them.
 */
import type { SourceLocation } from "../../config/model.js";
import type { ImportProblem } from "../import-problem.js";
import { type PxelinuxLine, readPxelinuxLines } from "./pxelinux-cfg-lines.js";
import { PXELINUX_DIRECTIVE_TABLE } from "./pxelinux-directive-table.js";

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
  /** Its other lines, kept as comments on its image. */
  readonly unmapped: PxelinuxLine[];
}

export interface PxelinuxCfg {
  /** In file order. */
  readonly labels: readonly PxelinuxLabel[];
  readonly defaultLine: PxelinuxLine | undefined;
  /** An APPEND before the first label: the command line of labels without their own. */
  readonly globalAppend: PxelinuxLine | undefined;
  /** TIMEOUT, in tenths of a second. */
  readonly timeout: number | undefined;
  /** The other global lines (PROMPT, UI, MENU TITLE, ...), kept as comments. */
  readonly globalLines: readonly PxelinuxLine[];
}

export function parsePxelinuxCfg(text: string, file: string, problems: ImportProblem[]): PxelinuxCfg {
  const lines = readPxelinuxLines(text, file, problems);
  const labels: PxelinuxLabel[] = [];
  const globalLines: PxelinuxLine[] = [];
  let current: PxelinuxLabel | undefined;
  let defaultLine: PxelinuxLine | undefined;
  let globalAppend: PxelinuxLine | undefined;
  let timeout: number | undefined;
  for (const l of lines) {
    const kw = l.keyword;
    if (kw === "label") {
      current = { name: l.args.trim(), at: l.at, comments: l.comments, unmapped: [] };
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
      else if (kw === "menu" && /^label\s/i.test(l.args))
        current.menuLabel = l.args.replace(/^label\s+/i, "").trim();
      else if (kw === "localboot") current.localboot = true;
      else if (PXELINUX_DIRECTIVE_TABLE.isGlobal(kw)) {
        if (kw === "default") defaultLine = l;
        else if (kw === "timeout") timeout = Number(l.args.trim());
        else globalLines.push(l);
        continue;
      } else current.unmapped.push(l);
      if (l.comments.length) current.comments.push(...l.comments);
      continue;
    }
    if (kw === "default") defaultLine = l;
    else if (kw === "append") globalAppend = l;
    else if (kw === "timeout") timeout = Number(l.args.trim());
    else globalLines.push(l);
  }
  return { labels, defaultLine, globalAppend, timeout, globalLines };
}
