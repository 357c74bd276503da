/**
 * Config errors carry where (file:line:column), which key (the YAML path),
 * what is wrong, and what to do. `bootfleet check` prints all of them.
 */
import type { SourceLocation } from "./model.js";

export interface ConfigProblem {
  readonly at: SourceLocation;
  /** YAML key path, e.g. `hosts.lab3-14.mac`. */
  readonly path: string;
  readonly message: string;
  readonly hint?: string | undefined;
}

export function formatProblem(p: ConfigProblem): string {
  const where = `${p.at.file}:${p.at.line}:${p.at.column}`;
  const key = p.path ? `${p.path}: ` : "";
  return `${where}: error: ${key}${p.message}${p.hint ? `\n  hint: ${p.hint}` : ""}`;
}

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Closest candidate by edit distance, for "did you mean". */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best !== undefined && bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
