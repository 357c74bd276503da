/**
 * pxelinux.cfg text to directive lines: `KEYWORD arguments`, `#` comments
 * kept with the line below them. A directive keyword in capitals inside
 * another directive's arguments (`DEFAULT vmlinuz APPEND root=/dev/nfs ...
 * IPAPPEND 1`, two lines joined into one) is read as a line of its own,
 * with a warning: pxelinux would pass `APPEND`, `IPAPPEND` and `1` to the
 * kernel, and init takes a bare `1` as single-user mode.
 *
 * `TEXT HELP` ... `ENDTEXT` (syslinux's doc/menu.txt) is a block of help
 * text shown under a menu entry: its lines are text, not directives, so
 * a help text that says "DEFAULT boots the installer" changes nothing.
 */
import type { SourceLocation } from "../../config/model.js";
import type { ImportProblem } from "../import-problem.js";
import { PXELINUX_DIRECTIVE_TABLE } from "./pxelinux-directive-table.js";

export interface PxelinuxLine {
  /** Lower case; "#" for the comments at the end of the file. */
  readonly keyword: string;
  readonly args: string;
  readonly at: SourceLocation;
  /** The directive as written. */
  readonly raw: string;
  /** Own-line comments just above it, without the `#`. */
  readonly comments: string[];
  /** The lines of a TEXT ... ENDTEXT block, as written. */
  readonly text?: string[];
}

export function readPxelinuxLines(text: string, file: string, problems: ImportProblem[]): PxelinuxLine[] {
  const out: PxelinuxLine[] = [];
  let pending: string[] = [];
  let textBlock: { readonly line: PxelinuxLine; readonly body: string[] } | undefined;
  const rows = text.split("\n");
  for (let i = 0; i < rows.length; i++) {
    const rawLine = rows[i]!;
    const line = rawLine.replace(/\r$/, "");
    const t = line.trim();
    const indent = line.length - line.trimStart().length;
    if (textBlock) {
      // Syslinux ends the block at a line that is ENDTEXT alone (any case).
      if (t.toLowerCase() === "endtext") textBlock = undefined;
      else textBlock.body.push(line);
      continue;
    }
    if (t === "") continue;
    if (t.startsWith("#")) {
      pending.push(t.slice(1));
      continue;
    }
    // Split at directive keywords written in capitals inside the line (joined lines).
    const words = [...t.matchAll(/\S+/g)];
    const first = words[0]![0];
    if (first.toLowerCase() === "text") {
      const body: string[] = [];
      const at = { file, line: i + 1, column: indent + 1 };
      const block: PxelinuxLine = {
        keyword: "text",
        args: t.slice(first.length).trim(),
        at,
        raw: t,
        comments: pending,
        text: body,
      };
      pending = [];
      out.push(block);
      textBlock = { line: block, body };
      continue;
    }
    const cuts = [0];
    // Only lines whose arguments are a name or a command line can have swallowed the next line; MENU LABEL is one directive.
    let splittable = PXELINUX_DIRECTIVE_TABLE.takesRestOfLine(first.toLowerCase());
    for (let w = 1; w < words.length; w++) {
      const word = words[w]![0];
      if (
        splittable &&
        PXELINUX_DIRECTIVE_TABLE.isDirective(word) &&
        words[w - 1]![0].toUpperCase() !== "MENU"
      ) {
        cuts.push(words[w]!.index!);
        splittable = PXELINUX_DIRECTIVE_TABLE.takesRestOfLine(word.toLowerCase());
      }
    }
    for (let c = 0; c < cuts.length; c++) {
      const part = t.slice(cuts[c], cuts[c + 1] ?? t.length).trim();
      const column = indent + cuts[c]! + 1;
      const at = { file, line: i + 1, column };
      if (c > 0)
        problems.push({
          severity: "warning",
          at,
          message: `'${part.split(/\s+/)[0]}' inside a ${first} line: read as a directive of its own (lines joined?)`,
          hint: "put each pxelinux directive on its own line; pxelinux would pass these words to the kernel",
        });
      // 's': the arguments may hold a carriage return or U+2028, which '.' alone does not match.
      const m = /^(\S+)\s*(.*)$/s.exec(part)!;
      const keyword = m[1]!.toLowerCase();
      if (!PXELINUX_DIRECTIVE_TABLE.isKnown(keyword))
        problems.push({
          severity: "warning",
          at,
          message: `'${m[1]}' is not a pxelinux directive`,
          hint: "see syslinux's doc/syslinux.txt",
        });
      out.push({ keyword, args: m[2] ?? "", at, raw: part, comments: c === 0 ? pending : [] });
      if (c === 0) pending = [];
    }
  }
  if (textBlock)
    problems.push({
      severity: "warning",
      at: textBlock.line.at,
      message:
        "TEXT without ENDTEXT: pxelinux reads the rest of the file as help text, so no directive below it counts",
      hint: "end the help text with a line ENDTEXT",
    });
  if (pending.length)
    out.push({
      keyword: "#",
      args: "",
      at: { file, line: rows.length, column: 1 },
      raw: "",
      comments: pending,
    });
  return out;
}
