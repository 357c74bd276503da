/**
 * dhcpd.conf text to tokens and comments (dhcpd.conf(5)): words, quoted
 * strings, punctuation, and `#` comments to the end of the line. Every
 * token keeps its offsets and file:line:column, so the parser can point at
 * a missing `;` and the importer can quote a statement as it was written.
 */
import type { SourceLocation } from "../../config/model.js";
import type { ImportProblem } from "../import-problem.js";

export type DhcpdTokenKind = "word" | "string" | "punct";

export interface DhcpdToken {
  readonly kind: DhcpdTokenKind;
  /** For strings: the unescaped content, without quotes. */
  readonly text: string;
  readonly at: SourceLocation;
  readonly offset: number;
  /** Offset just past the token. */
  readonly end: number;
}

export interface DhcpdComment {
  /** Without the `#`. */
  readonly text: string;
  readonly line: number;
  /** Nothing but whitespace before it on its line. */
  readonly ownLine: boolean;
}

export interface DhcpdTokens {
  readonly tokens: readonly DhcpdToken[];
  /** In file order, at most one per line. */
  readonly comments: readonly DhcpdComment[];
  /** Unterminated strings. */
  readonly problems: readonly ImportProblem[];
}

const PUNCT = new Set(["{", "}", ";", ",", "(", ")", "=", "!", "~", "&", "|", "+"]);

const WHITESPACE = /\s/u;

/** What ends a word: whitespace (any, as isBlank), punctuation, a comment or a string. */
const WORD_END = /[\s{};,()=!~&|+#"]/u;

/**
 * Blanks skipped between tokens (a line feed also counts the line): every
 * Unicode whitespace, not only ASCII's. A no-break space (U+00A0) pasted
 * from a web page, a line separator (U+2028) or a byte-order mark is a
 * space here, as it is a word's end in WORD_END; otherwise it would start
 * a word that ends before it begins.
 */
export function isBlank(c: string): boolean {
  return c !== "\n" && WHITESPACE.test(c);
}

export function tokenizeDhcpdConf(text: string, file: string): DhcpdTokens {
  const tokens: DhcpdToken[] = [];
  const comments: DhcpdComment[] = [];
  const problems: ImportProblem[] = [];
  const t = text;
  let line = 1;
  let lineStart = 0;
  let i = 0;
  let sawTokenOnLine = false;
  const loc = (offset: number): SourceLocation => ({ file, line, column: offset - lineStart + 1 });
  while (i < t.length) {
    const c = t[i]!;
    if (c === "\n") {
      line++;
      lineStart = i + 1;
      sawTokenOnLine = false;
      i++;
      continue;
    }
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (c === "#") {
      let j = i;
      while (j < t.length && t[j] !== "\n") j++;
      comments.push({ text: t.slice(i + 1, j).replace(/\r$/, ""), line, ownLine: !sawTokenOnLine });
      i = j;
      continue;
    }
    sawTokenOnLine = true;
    if (c === '"') {
      const at = loc(i);
      let j = i + 1;
      let value = "";
      let closed = false;
      while (j < t.length) {
        const d = t[j]!;
        if (d === "\\" && j + 1 < t.length) {
          const e = t[j + 1]!;
          value += e === "n" ? "\n" : e === "t" ? "\t" : e;
          j += 2;
          continue;
        }
        if (d === '"') {
          closed = true;
          break;
        }
        if (d === "\n") break;
        value += d;
        j++;
      }
      if (!closed) {
        problems.push({
          severity: "error",
          at,
          message: "unterminated string",
          hint: 'close the string with " on the same line',
        });
        tokens.push({ kind: "string", text: value, at, offset: i, end: j });
        i = j;
        continue;
      }
      tokens.push({ kind: "string", text: value, at, offset: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    if (PUNCT.has(c)) {
      tokens.push({ kind: "punct", text: c, at: loc(i), offset: i, end: i + 1 });
      i++;
      continue;
    }
    // c is no blank, '#', '"' or punctuation, so the word holds at least c: the scan always moves on.
    let j = i + 1;
    while (j < t.length && !WORD_END.test(t[j]!)) j++;
    tokens.push({ kind: "word", text: t.slice(i, j), at: loc(i), offset: i, end: j });
    i = j;
  }
  return { tokens, comments, problems };
}

/** Just past the token: where the `;` or value after it belongs. */
export function pointAfterToken(t: DhcpdToken): SourceLocation {
  return { ...t.at, column: t.at.column + (t.end - t.offset) };
}

/** A token as dhcpd.conf text: strings quoted again. */
export function tokenText(t: DhcpdToken): string {
  return t.kind === "string" ? JSON.stringify(t.text) : t.text;
}
