/**
 * LTSP's client settings files: LTSP4/5 `lts.conf` ([Default], [MAC],
 * [hostname], LIKE=) and LTSP 19+ `ltsp.conf` ([server], [common],
 * [clients], glob sections like [b8:27:eb:*], INCLUDE=). Both are
 * `[section]` headers and `KEY = value` lines with `#` comments; values may
 * be quoted. Errors carry file:line:column and a hint.
 */
import type { SourceLocation } from "../../config/model.js";
import type { ImportProblem } from "../import-problem.js";

export interface LtsEntry {
  readonly key: string;
  readonly value: string;
  readonly at: SourceLocation;
  readonly valueAt: SourceLocation;
  /** The line as written. */
  readonly raw: string;
  readonly comments: readonly string[];
}

export interface LtsSection {
  /** As written between the brackets; "" for entries before any section. */
  readonly name: string;
  readonly at: SourceLocation;
  readonly comments: readonly string[];
  readonly entries: LtsEntry[];
  /** Comments after the last entry. */
  readonly closingComments: string[];
}

export interface LtsParseResult {
  readonly file: string;
  readonly format: "lts" | "ltsp";
  readonly sections: readonly LtsSection[];
  readonly problems: readonly ImportProblem[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseLtsConf(text: string, file: string, format: "lts" | "ltsp"): LtsParseResult {
  const problems: ImportProblem[] = [];
  const sections: LtsSection[] = [];
  let current: LtsSection | undefined;
  let pending: string[] = [];
  const lines = text.split("\n");
  lines.forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, "");
    const lineNo = i + 1;
    const indent = line.length - line.trimStart().length;
    const t = line.trim();
    const at = (col: number): SourceLocation => ({ file, line: lineNo, column: col });
    if (t === "") return;
    if (t.startsWith("#")) {
      pending.push(t.slice(1));
      return;
    }
    if (t.startsWith("[")) {
      const close = t.indexOf("]");
      if (close < 0) {
        problems.push({
          severity: "error",
          at: at(indent + 1),
          message: "section header without ']'",
          hint: "write it as [NAME], e.g. [Default] or [00:11:22:33:44:55]",
        });
        return;
      }
      const name = t.slice(1, close).trim();
      const rest = t.slice(close + 1).trim();
      if (name === "") {
        problems.push({
          severity: "error",
          at: at(indent + 1),
          message: "empty section name",
          hint: "write a MAC, IP, hostname or name between the brackets",
        });
        return;
      }
      if (rest !== "" && !rest.startsWith("#"))
        problems.push({
          severity: "error",
          at: at(indent + close + 2),
          message: `unexpected '${rest}' after the section header`,
          hint: "put settings on their own lines, as KEY = value",
        });
      if (current) current.closingComments.push(...pending.splice(0));
      current = { name, at: at(indent + 1), comments: pending, entries: [], closingComments: [] };
      pending = [];
      sections.push(current);
      return;
    }
    const eq = t.indexOf("=");
    if (eq < 0) {
      problems.push({
        severity: "error",
        at: at(indent + 1),
        message: `expected KEY = value or [SECTION], found '${t.length > 40 ? `${t.slice(0, 40)}...` : t}'`,
        hint: "every setting is one line: NAME = value",
      });
      return;
    }
    const key = t.slice(0, eq).trim();
    if (!KEY.test(key)) {
      problems.push({
        severity: "error",
        at: at(indent + 1),
        message: `'${key}' is not a setting name`,
        hint: "setting names are letters, digits and _, e.g. XKBLAYOUT",
      });
      return;
    }
    const afterEq = t.slice(eq + 1);
    const valueCol = indent + eq + 2 + (afterEq.length - afterEq.trimStart().length);
    let value = afterEq.trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 1) {
      const end = value.lastIndexOf(q);
      if (end === 0) {
        problems.push({
          severity: "error",
          at: at(valueCol),
          message: `unterminated ${q === '"' ? "double" : "single"}-quoted value`,
          hint: `close it with ${q}`,
        });
        return;
      }
      const rest = value.slice(end + 1).trim();
      if (rest !== "" && !rest.startsWith("#"))
        problems.push({
          severity: "error",
          at: at(valueCol + end + 1),
          message: `unexpected '${rest}' after the quoted value`,
          hint: "quote the whole value",
        });
      value = value.slice(1, end);
    }
    if (!current) {
      current = { name: "", at: at(1), comments: [], entries: [], closingComments: [] };
      sections.push(current);
    }
    current.entries.push({
      key,
      value,
      at: at(indent + 1),
      valueAt: at(valueCol),
      raw: t,
      comments: pending,
    });
    pending = [];
  });
  if (current) current.closingComments.push(...pending);
  else if (pending.length)
    sections.push({
      name: "",
      at: { file, line: 1, column: 1 },
      comments: [],
      entries: [],
      closingComments: pending,
    });
  return { file, format, sections, problems };
}
