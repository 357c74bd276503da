/**
 * What a dhcpd.conf import tells its user besides the config: errors (dhcpd
 * would refuse the file too) and warnings with file:line:column and a hint,
 * and notes: statements kept as comments, verbatim with their own comments,
 * beside the reason they were not mapped.
 */
import type { SourceLocation } from "../../config/model.js";
import type { Note } from "../config-draft.js";
import type { ImportProblem } from "../import-problem.js";
import type { DhcpdParseResult } from "./dhcpd-conf-parser.js";
import type { DhcpdScope } from "./dhcpd-scope.js";
import { type DhcpdStatement, pointAfter } from "./dhcpd-statement.js";
import type { DhcpdToken } from "./dhcpd-tokenizer.js";

export class DhcpdImportReport {
  readonly #parsed: DhcpdParseResult;
  readonly #problems: ImportProblem[];

  constructor(parsed: DhcpdParseResult, problems: ImportProblem[]) {
    this.#parsed = parsed;
    this.#problems = problems;
  }

  error(at: SourceLocation, message: string, hint?: string): void {
    this.#problems.push({ severity: "error", at, message, hint });
  }

  warn(at: SourceLocation, message: string, hint?: string): void {
    this.#problems.push({ severity: "warning", at, message, hint });
  }

  /** The statement as written, with the comments around it. */
  source(st: DhcpdStatement): string {
    const lines = st.comments.map((c) => `#${c}`);
    let text = this.#parsed.text.slice(st.offset, st.end);
    if (st.trailing !== undefined && !st.block) text += ` #${st.trailing}`;
    lines.push(text);
    return lines.join("\n");
  }

  /** Keeps the statement as a comment where it was written, with why. */
  note(scope: DhcpdScope, st: DhcpdStatement, why: string): void {
    scope.notes.push({ at: st.at, source: this.source(st), why });
  }

  /** Comments that belong to no statement (the end of a block or file), kept in `sink`. */
  keepComments(comments: readonly string[] | undefined, sink: Note[], where: string): void {
    if (!comments || comments.length === 0) return;
    sink.push({ source: comments.map((c) => `#${c}`).join("\n"), why: `comments ${where}, kept` });
  }

  /** The statement's one value; an error naming `what` when it has none. */
  oneValue(st: DhcpdStatement, what: string, example: string): DhcpdToken | undefined {
    const v = st.head[1];
    if (!v) {
      this.error(pointAfter(st), `${what} has no value`, `write it as ${example}`);
      return undefined;
    }
    return v;
  }
}
