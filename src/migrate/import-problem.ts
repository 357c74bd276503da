/**
 * What the importers report: an error (the input is malformed; the daemon
 * that reads it would refuse it too) or a warning (it parses, but something
 * could not be carried over as it was). Both carry file:line:column and a
 * hint, the format `dhcpd -t` prints, so that a forgotten `;` at the end of
 * a line (the most common dhcpd.conf mistake) is found where it is.
 */
import type { SourceLocation } from "../config/model.js";

export type ProblemSeverity = "error" | "warning";

export interface ImportProblem {
  readonly severity: ProblemSeverity;
  readonly at: SourceLocation;
  readonly message: string;
  readonly hint?: string | undefined;
}

export function formatImportProblem(p: ImportProblem): string {
  const where = `${p.at.file}:${p.at.line}:${p.at.column}`;
  return `${where}: ${p.severity}: ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ""}`;
}

/** Thrown by `importConfig` when an input has errors and a partial import was not asked for. */
export class ImportError extends Error {
  readonly code = "IMPORT_INVALID";
  readonly problems: readonly ImportProblem[];

  constructor(problems: readonly ImportProblem[]) {
    super(problems.map(formatImportProblem).join("\n"));
    this.name = "ImportError";
    this.problems = problems;
  }
}
