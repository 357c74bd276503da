/**
 * What a dnsmasq.conf import tells its user besides the config: errors and
 * warnings with file:line:column and a hint, and notes: directives kept as
 * comments, verbatim with their own comments, beside the reason.
 */
import type { SourceLocation } from "../../config/model.js";
import type { ConfigDraft, Note } from "../config-draft.js";
import type { ImportProblem } from "../import-problem.js";
import type { DnsmasqDirective } from "./dnsmasq-directive.js";

export class DnsmasqImportReport {
  readonly #draft: ConfigDraft;
  readonly #problems: ImportProblem[];

  constructor(draft: ConfigDraft, problems: ImportProblem[]) {
    this.#draft = draft;
    this.#problems = problems;
  }

  error(at: SourceLocation, message: string, hint?: string): void {
    this.#problems.push({ severity: "error", at, message, hint });
  }

  warn(at: SourceLocation, message: string, hint?: string): void {
    this.#problems.push({ severity: "warning", at, message, hint });
  }

  /** Keeps the directive as a comment (with the file's notes unless told where), with why. */
  note(d: DnsmasqDirective, why: string, notes: Note[] = this.#draft.notes): void {
    notes.push({
      at: d.at,
      source: [
        ...d.comments.map((c) => `#${c}`),
        `${d.raw}${d.trailing !== undefined ? ` #${d.trailing}` : ""}`,
      ].join("\n"),
      why,
    });
  }
}
