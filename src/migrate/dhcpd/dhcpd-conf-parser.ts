/**
 * ISC dhcpd.conf (dhcpd.conf(5)) to a tree of statements with positions and
 * comments. The grammar is small: a statement is words ending in `;`, or
 * words followed by a `{ ... }` block; `#` starts a comment. The parser
 * knows which declarations may nest in which (dhcpd-grammar.ts: a `host`
 * holds no `group`), so that a missing `}` or `;` is reported where it is
 * missing, with the line and column, and parsing goes on to find the next
 * error too: a forgotten `;` at the end of a line is the mistake dhcpd.conf
 * writers make most, and dhcpd itself reports only the first. What the
 * statements mean is dhcpd-conf-import.ts's business.
 */
import type { SourceLocation } from "../../config/model.js";
import type { ImportProblem } from "../import-problem.js";
import { NESTING_LIMIT } from "../nesting-limit.js";
import { DhcpdCommentQueue } from "./dhcpd-comment-queue.js";
import { DHCPD_GRAMMAR, type DhcpdBlockKind } from "./dhcpd-grammar.js";
import type { DhcpdStatement } from "./dhcpd-statement.js";
import {
  type DhcpdToken,
  isBlank,
  pointAfterToken,
  tokenizeDhcpdConf,
  tokenText,
} from "./dhcpd-tokenizer.js";

export interface DhcpdParseResult {
  readonly file: string;
  readonly text: string;
  readonly statements: readonly DhcpdStatement[];
  /** Own-line comments after the last statement of the file. */
  readonly closingComments: readonly string[];
  readonly problems: readonly ImportProblem[];
}

/** An open block: the file itself, or a statement's `{`. */
interface Frame {
  readonly kind: DhcpdBlockKind;
  readonly opener: DhcpdToken | undefined;
  readonly head?: readonly DhcpdToken[];
}

export function parseDhcpdConf(text: string, file: string): DhcpdParseResult {
  return new DhcpdParser(text, file).parse();
}

class DhcpdParser {
  readonly #text: string;
  readonly #file: string;
  readonly #problems: ImportProblem[];
  readonly #tokens: readonly DhcpdToken[];
  readonly #comments: DhcpdCommentQueue;
  #pos = 0;

  constructor(text: string, file: string) {
    this.#text = text;
    this.#file = file;
    const lexed = tokenizeDhcpdConf(text, file);
    this.#tokens = lexed.tokens;
    this.#comments = new DhcpdCommentQueue(lexed.comments);
    this.#problems = [...lexed.problems];
  }

  parse(): DhcpdParseResult {
    const { statements, closing } = this.#block([{ kind: "top", opener: undefined }]);
    return {
      file: this.#file,
      text: this.#text,
      statements,
      closingComments: closing,
      problems: this.#problems,
    };
  }

  #error(at: SourceLocation, message: string, hint?: string): void {
    this.#problems.push({ severity: "error", at, message, hint });
  }

  #peek(): DhcpdToken | undefined {
    return this.#tokens[this.#pos];
  }

  #block(stack: readonly Frame[]): { statements: DhcpdStatement[]; closing: string[]; closed: boolean } {
    const frame = stack[stack.length - 1]!;
    const statements: DhcpdStatement[] = [];
    // The else branches of the last statement, when it is an if: appended in place, so that a chain of
    // n branches costs n, not n * n copies.
    let branches: DhcpdStatement[] | undefined;
    for (;;) {
      const tok = this.#peek();
      if (tok === undefined) {
        const closing = this.#comments.takeBefore(Number.POSITIVE_INFINITY);
        if (frame.opener) {
          this.#error(
            frame.opener.at,
            `unbalanced braces: the '{' of ${describeHead(frame.head)} is never closed`,
            "add the missing '}' where the block ends",
          );
        }
        return { statements, closing, closed: false };
      }
      if (tok.kind === "punct" && tok.text === "}") {
        const closing = this.#comments.takeBefore(tok.at.line);
        if (frame.opener) {
          this.#pos++;
          return { statements, closing, closed: true };
        }
        this.#error(
          tok.at,
          "unbalanced braces: '}' closes no open block",
          "remove it, or add the '{' it was meant to close",
        );
        this.#pos++;
        continue;
      }
      if (tok.kind === "punct" && tok.text === ";") {
        this.#pos++; // an empty statement: dhcpd accepts stray ';'
        continue;
      }
      // A declaration that cannot live here, but can in an enclosing block,
      // means this block's '}' is missing.
      const keyword = tok.kind === "word" ? tok.text.toLowerCase() : "";
      if (frame.opener && mustClose(stack, keyword, statements)) {
        this.#error(
          tok.at,
          `missing '}' before '${tok.text}': the block of ${describeHead(frame.head)} at line ${frame.opener.at.line} is not closed`,
          `a ${frame.kind === "if" ? "branch of an if" : frame.kind} cannot hold '${keyword}'; close the block with '}' first`,
        );
        return { statements, closing: [], closed: false };
      }
      const st = this.#statement(stack);
      if (st) {
        const prev = statements[statements.length - 1];
        const kw = st.head[0]?.text.toLowerCase();
        if ((kw === "else" || kw === "elsif") && prev && isIfChain(prev) && !endsWithElse(prev)) {
          branches ??= [];
          branches.push(st);
          statements[statements.length - 1] = { ...prev, elseBranches: branches, end: st.end };
        } else {
          branches = undefined;
          if (kw === "else" || kw === "elsif")
            this.#error(
              st.at,
              `'${st.head[0]!.text}' without an 'if' before it`,
              "an else branch follows the '}' of an if block",
            );
          statements.push(st);
        }
      }
    }
  }

  #statement(stack: readonly Frame[]): DhcpdStatement | undefined {
    const first = this.#peek()!;
    const comments = this.#comments.takeBefore(first.at.line);
    const head: DhcpdToken[] = [];
    const firstWord = first.kind === "word" ? first.text.toLowerCase() : "";
    const conditional =
      firstWord === "if" || firstWord === "elsif" || firstWord === "else" || firstWord === "match";
    for (;;) {
      const tok = this.#peek();
      const last = head[head.length - 1];
      if (tok === undefined || (tok.kind === "punct" && tok.text === "}")) {
        if (last) {
          this.#missingSemicolon(last);
          return this.#simple(head, comments, last.end, last.at.line);
        }
        return undefined;
      }
      if (tok.kind === "punct" && tok.text === ";") {
        this.#pos++;
        if (head.length === 0) return undefined;
        return this.#simple(head, comments, tok.end, tok.at.line);
      }
      if (tok.kind === "punct" && tok.text === "{") {
        this.#pos++;
        if (stack.length > NESTING_LIMIT) {
          this.#error(
            tok.at,
            `blocks nested more than ${NESTING_LIMIT} deep`,
            "dhcpd.conf nests a few levels (a host in a group in a subnet); this block and what it holds are not read",
          );
          this.#skipBlock();
          return undefined;
        }
        const trailing = this.#comments.takeTrailing(tok.at.line);
        const kind = DHCPD_GRAMMAR.blockKind(head[0]?.text.toLowerCase());
        const inner = this.#block([...stack, { kind, opener: tok, head }]);
        const closeEnd = inner.closed
          ? this.#tokens[this.#pos - 1]!.end
          : (this.#peek()?.offset ?? this.#text.length);
        const closeLine = inner.closed ? this.#tokens[this.#pos - 1]!.at.line : -1;
        const closeTrailing = closeLine > 0 ? this.#comments.takeTrailing(closeLine) : undefined;
        const start = head[0] ?? tok;
        if (head.length === 0)
          this.#error(
            tok.at,
            "'{' without a declaration before it",
            "blocks belong to host, subnet, group, shared-network, pool, class or if",
          );
        return {
          head,
          block: inner.statements,
          at: start.at,
          offset: start.offset,
          end: closeEnd,
          comments,
          trailing: joinComments(trailing, closeTrailing),
          closingComments: inner.closing,
        };
      }
      // A keyword at the start of a new line inside an unfinished statement:
      // the previous line lacks its ';'.
      if (
        last &&
        !conditional &&
        tok.kind === "word" &&
        tok.at.line > last.at.line &&
        DHCPD_GRAMMAR.startsStatement(tok.text.toLowerCase()) &&
        startsLine(this.#text, tok.offset)
      ) {
        this.#missingSemicolon(last);
        return this.#simple(head, comments, last.end, last.at.line);
      }
      head.push(tok);
      this.#pos++;
    }
  }

  /** Past the '}' that closes the block just opened (or to the end of the file), without descending into it. */
  #skipBlock(): void {
    let depth = 1;
    while (depth > 0) {
      const tok = this.#peek();
      if (tok === undefined) return;
      this.#pos++;
      if (tok.kind === "punct" && tok.text === "{") depth++;
      else if (tok.kind === "punct" && tok.text === "}") depth--;
    }
  }

  #missingSemicolon(last: DhcpdToken): void {
    this.#error(
      pointAfterToken(last),
      `missing ';' after '${tokenText(last)}'`,
      "every dhcpd.conf statement ends with ';' (a forgotten ';' at the end of a line is the most common mistake)",
    );
  }

  #simple(head: DhcpdToken[], comments: string[], end: number, endLine: number): DhcpdStatement {
    return {
      head,
      at: head[0]!.at,
      offset: head[0]!.offset,
      end,
      comments,
      trailing: this.#comments.takeTrailing(endLine),
    };
  }
}

/** True when `keyword` may not appear in the innermost block but may in an enclosing one. */
function mustClose(stack: readonly Frame[], keyword: string, siblings: readonly DhcpdStatement[]): boolean {
  const allowedIn = (kind: DhcpdBlockKind, sibs: readonly DhcpdStatement[] | undefined): boolean => {
    if (keyword === "else" || keyword === "elsif") {
      const prev = sibs?.[sibs.length - 1];
      return sibs === undefined || (prev !== undefined && isIfChain(prev) && !endsWithElse(prev));
    }
    if (!DHCPD_GRAMMAR.isDeclaration(keyword)) return true;
    return DHCPD_GRAMMAR.mayHold(kind, keyword);
  };
  const here = stack[stack.length - 1]!;
  if (allowedIn(here.kind, siblings)) return false;
  // else/elsif: an enclosing if-block can take it once its branch is closed.
  if (keyword === "else" || keyword === "elsif") return stack.slice(1).some((f) => f.kind === "if");
  return stack.slice(0, -1).some((f) => allowedIn(f.kind, undefined));
}

function joinComments(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return `${a} /${b}`;
}

function startsLine(text: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = text[i]!;
    if (c === "\n") return true;
    if (!isBlank(c)) return false;
  }
  return true;
}

function isIfChain(st: DhcpdStatement): boolean {
  return st.block !== undefined && st.head[0]?.text.toLowerCase() === "if";
}

function endsWithElse(st: DhcpdStatement): boolean {
  const last = st.elseBranches?.[st.elseBranches.length - 1];
  return (
    last !== undefined &&
    last.head[0]?.text.toLowerCase() === "else" &&
    last.head[1]?.text.toLowerCase() !== "if"
  );
}

function describeHead(head: readonly DhcpdToken[] | undefined): string {
  if (!head || head.length === 0) return "this block";
  const words = head.slice(0, 3).map(tokenText).join(" ");
  return `'${words}${head.length > 3 ? " ..." : ""}'`;
}
