/**
 * A parsed dhcpd.conf statement (words ending in `;`, or words and a
 * `{ ... }` block), with the comments that belong to it and its offsets in
 * the file, and the ways the importer reads one: its head as text, its
 * values, where a missing value should have been.
 */
import type { SourceLocation } from "../../config/model.js";
import { type DhcpdToken, pointAfterToken, tokenText } from "./dhcpd-tokenizer.js";

export interface DhcpdStatement {
  /** The words before `;` or `{`. */
  readonly head: readonly DhcpdToken[];
  readonly block?: readonly DhcpdStatement[] | undefined;
  readonly at: SourceLocation;
  /** Offsets of the statement's text in the file, `;` or `}` included. */
  readonly offset: number;
  readonly end: number;
  /** Own-line comments just above it, without the `#`. */
  readonly comments: readonly string[];
  /** A comment on the line where it ends (or, for a block, where it opens). */
  readonly trailing?: string | undefined;
  /** Own-line comments inside the block after its last statement. */
  readonly closingComments?: readonly string[] | undefined;
  /** For `if`: the `elsif`/`else` branches that follow it. */
  readonly elseBranches?: readonly DhcpdStatement[] | undefined;
}

/** The statement's first word, lower case ("" for none): dhcpd keywords are case-insensitive. */
export function keywordOf(st: DhcpdStatement): string {
  return st.head[0]?.text.toLowerCase() ?? "";
}

/** The statement's head as dhcpd.conf text, for messages. */
export function headText(st: DhcpdStatement): string {
  let out = "";
  for (const t of st.head) {
    const s = tokenText(t);
    if (out && !(t.kind === "punct" && (t.text === "," || t.text === ")")) && !out.endsWith("(")) out += " ";
    out += s;
  }
  return out;
}

/** The head with its `;` or an elided block: the statement in one line. */
export function headLine(st: DhcpdStatement): string {
  return `${headText(st)}${st.block ? " { ... }" : ";"}`;
}

/** The words after the keyword(s), as values: strings unquoted, split at commas. */
export function valueItems(tokens: readonly DhcpdToken[]): string[] {
  const items: string[] = [];
  let cur: string[] = [];
  for (const t of tokens) {
    if (t.kind === "punct" && t.text === ",") {
      items.push(cur.join(" "));
      cur = [];
    } else cur.push(t.text);
  }
  if (cur.length) items.push(cur.join(" "));
  return items;
}

/** Where an argument should have been: just after the last word of the head. */
export function pointAfter(st: DhcpdStatement): SourceLocation {
  return pointAfterToken(st.head[st.head.length - 1]!);
}

/** The statement's own comments, to go beside the value it maps to. */
export function valueComments(st: DhcpdStatement): { before: readonly string[]; inline?: string } {
  return st.trailing !== undefined ? { before: st.comments, inline: st.trailing } : { before: st.comments };
}
