/**
 * ISC dhcpd.conf (dhcpd.conf(5)) to a tree of statements with positions and
 * comments. The grammar is small: a statement is words ending in `;`, or
 * words followed by a `{ ... }` block; `#` starts a comment. This parser
 * knows which declarations may nest in which (a `host` holds no `group`),
 * so that a missing `}` or `;` is reported where it is missing, with the
 * line and column, and parsing goes on to find the next error too (seed
 * 000: "forgetting to put a ; at the end of each line is the most common
 * problem"). What the statements mean is dhcpd-conf-import.ts's business.
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

export interface DhcpdParseResult {
  readonly file: string;
  readonly text: string;
  readonly statements: readonly DhcpdStatement[];
  /** Own-line comments after the last statement of the file. */
  readonly closingComments: readonly string[];
  readonly problems: readonly ImportProblem[];
}

interface Comment {
  readonly text: string;
  readonly line: number;
  /** Nothing but whitespace before it on its line. */
  readonly ownLine: boolean;
}

const PUNCT = new Set(["{", "}", ";", ",", "(", ")", "=", "!", "~", "&", "|", "+"]);

/** Words that start a statement: seeing one at the start of a new line inside an unfinished statement means a `;` is missing. */
const STATEMENT_KEYWORDS = new Set([
  "option",
  "host",
  "subnet",
  "subnet6",
  "group",
  "shared-network",
  "range",
  "range6",
  "hardware",
  "fixed-address",
  "filename",
  "next-server",
  "server-name",
  "server-identifier",
  "default-lease-time",
  "max-lease-time",
  "min-lease-time",
  "authoritative",
  "allow",
  "deny",
  "ignore",
  "ddns-update-style",
  "ddns-updates",
  "ddns-domainname",
  "use-host-decl-names",
  "boot-unknown-clients",
  "get-lease-hostnames",
  "class",
  "subclass",
  "pool",
  "include",
  "log-facility",
  "one-lease-per-client",
  "ping-check",
  "update-static-leases",
  "always-broadcast",
  "failover",
  "dynamic-bootp-lease-length",
  "dynamic-bootp-lease-cutoff",
  "local-port",
  "local-address",
  "lease-file-name",
  "pid-file-name",
  "omapi-port",
]);

type BlockKind = "top" | "host" | "subnet" | "shared-network" | "group" | "pool" | "if" | "class" | "other";

/** Declarations that may appear directly inside each kind of block (dhcpd.conf(5), "Reference: declarations"). */
const ALLOWED_DECLARATIONS: Record<BlockKind, ReadonlySet<string>> = {
  top: new Set(["host", "subnet", "shared-network", "group", "pool", "class", "subclass", "failover"]),
  group: new Set(["host", "subnet", "shared-network", "group", "pool", "class", "subclass"]),
  "shared-network": new Set(["host", "subnet", "group", "pool"]),
  subnet: new Set(["host", "group", "pool"]),
  pool: new Set([]),
  host: new Set([]),
  if: new Set([]),
  class: new Set([]),
  other: new Set(["host", "subnet", "shared-network", "group", "pool", "class", "subclass", "failover"]),
};
const DECLARATIONS = new Set([
  "host",
  "subnet",
  "shared-network",
  "group",
  "pool",
  "class",
  "subclass",
  "failover",
]);

export function parseDhcpdConf(text: string, file: string): DhcpdParseResult {
  return new DhcpdParser(text, file).parse();
}

class DhcpdParser {
  readonly #text: string;
  readonly #file: string;
  readonly #problems: ImportProblem[] = [];
  readonly #tokens: DhcpdToken[] = [];
  /** Comments in file order; each is given to one statement (or to the closing of a block). */
  readonly #comments: (Comment & { taken: boolean })[] = [];
  readonly #commentByLine = new Map<number, Comment & { taken: boolean }>();
  #pos = 0;
  #commentCursor = 0;

  constructor(text: string, file: string) {
    this.#text = text;
    this.#file = file;
    this.#lex();
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

  // ---- lexer ----------------------------------------------------------

  #lex(): void {
    const t = this.#text;
    let line = 1;
    let lineStart = 0;
    let i = 0;
    let sawTokenOnLine = false;
    const loc = (offset: number): SourceLocation => ({
      file: this.#file,
      line,
      column: offset - lineStart + 1,
    });
    while (i < t.length) {
      const c = t[i]!;
      if (c === "\n") {
        line++;
        lineStart = i + 1;
        sawTokenOnLine = false;
        i++;
        continue;
      }
      if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
        i++;
        continue;
      }
      if (c === "#") {
        let j = i;
        while (j < t.length && t[j] !== "\n") j++;
        const comment = {
          text: t.slice(i + 1, j).replace(/\r$/, ""),
          line,
          ownLine: !sawTokenOnLine,
          taken: false,
        };
        this.#comments.push(comment);
        this.#commentByLine.set(line, comment);
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
          this.#error(at, "unterminated string", 'close the string with " on the same line');
          this.#tokens.push({ kind: "string", text: value, at, offset: i, end: j });
          i = j;
          continue;
        }
        this.#tokens.push({ kind: "string", text: value, at, offset: i, end: j + 1 });
        i = j + 1;
        continue;
      }
      if (PUNCT.has(c)) {
        this.#tokens.push({ kind: "punct", text: c, at: loc(i), offset: i, end: i + 1 });
        i++;
        continue;
      }
      let j = i;
      while (j < t.length && !/[\s{};,()=!~&|+#"]/.test(t[j]!)) j++;
      this.#tokens.push({ kind: "word", text: t.slice(i, j), at: loc(i), offset: i, end: j });
      i = j;
    }
  }

  // ---- parser ---------------------------------------------------------

  #error(at: SourceLocation, message: string, hint?: string): void {
    this.#problems.push({ severity: "error", at, message, hint });
  }

  #peek(): DhcpdToken | undefined {
    return this.#tokens[this.#pos];
  }

  /** Comments on lines before `line` not yet given to a statement (own-line ones, and trailing ones nobody claimed). */
  #takeCommentsBefore(line: number): string[] {
    const out: string[] = [];
    while (this.#commentCursor < this.#comments.length && this.#comments[this.#commentCursor]!.line < line) {
      const c = this.#comments[this.#commentCursor++]!;
      if (!c.taken) out.push(c.text);
      c.taken = true;
    }
    return out;
  }

  /** The comment after the last token on `line`, if nobody took it yet. */
  #trailingOn(line: number): string | undefined {
    const c = this.#commentByLine.get(line);
    if (!c || c.ownLine || c.taken) return undefined;
    c.taken = true;
    return c.text;
  }

  #block(stack: { kind: BlockKind; opener: DhcpdToken | undefined; head?: readonly DhcpdToken[] }[]): {
    statements: DhcpdStatement[];
    closing: string[];
    closed: boolean;
  } {
    const frame = stack[stack.length - 1]!;
    const statements: DhcpdStatement[] = [];
    for (;;) {
      const tok = this.#peek();
      if (tok === undefined) {
        const closing = this.#takeCommentsBefore(Number.POSITIVE_INFINITY);
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
        const closing = this.#takeCommentsBefore(tok.at.line);
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
      if (frame.opener && this.#mustClose(stack, keyword, statements)) {
        this.#error(
          tok.at,
          `missing '}' before '${tok.text}': the block of ${describeHead(frame.head)} at line ${frame.opener.at.line} is not closed`,
          `a ${frame.kind === "if" ? "branch of an if" : frame.kind} cannot hold '${keyword}'; close the block with '}' first`,
        );
        return { statements, closing: [], closed: false };
      }
      const st = this.#statement(stack, statements);
      if (st) {
        const prev = statements[statements.length - 1];
        const kw = st.head[0]?.text.toLowerCase();
        if ((kw === "else" || kw === "elsif") && prev && isIfChain(prev) && !endsWithElse(prev)) {
          statements[statements.length - 1] = {
            ...prev,
            elseBranches: [...(prev.elseBranches ?? []), st],
            end: st.end,
          };
        } else {
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

  /** True when `keyword` may not appear in the innermost block but may in an enclosing one. */
  #mustClose(
    stack: readonly { kind: BlockKind; opener: DhcpdToken | undefined }[],
    keyword: string,
    siblings: readonly DhcpdStatement[],
  ): boolean {
    const allowedIn = (kind: BlockKind, sibs: readonly DhcpdStatement[] | undefined): boolean => {
      if (keyword === "else" || keyword === "elsif") {
        const prev = sibs?.[sibs.length - 1];
        return sibs === undefined || (prev !== undefined && isIfChain(prev) && !endsWithElse(prev));
      }
      if (!DECLARATIONS.has(keyword)) return true;
      return ALLOWED_DECLARATIONS[kind].has(keyword);
    };
    const here = stack[stack.length - 1]!;
    if (allowedIn(here.kind, siblings)) return false;
    // else/elsif: an enclosing if-block can take it once its branch is closed.
    if (keyword === "else" || keyword === "elsif") return stack.slice(1).some((f) => f.kind === "if");
    return stack.slice(0, -1).some((f) => allowedIn(f.kind, undefined));
  }

  #statement(
    stack: { kind: BlockKind; opener: DhcpdToken | undefined; head?: readonly DhcpdToken[] }[],
    _siblings: readonly DhcpdStatement[],
  ): DhcpdStatement | undefined {
    const first = this.#peek()!;
    const comments = this.#takeCommentsBefore(first.at.line);
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
        const trailing = this.#trailingOn(tok.at.line);
        const kind = blockKind(head);
        const inner = this.#block([...stack, { kind, opener: tok, head }]);
        const closeEnd = inner.closed
          ? this.#tokens[this.#pos - 1]!.end
          : (this.#peek()?.offset ?? this.#text.length);
        const closeLine = inner.closed ? this.#tokens[this.#pos - 1]!.at.line : -1;
        const closeTrailing = closeLine > 0 ? this.#trailingOn(closeLine) : undefined;
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
        STATEMENT_KEYWORDS.has(tok.text.toLowerCase()) &&
        startsLine(this.#text, tok.offset)
      ) {
        this.#missingSemicolon(last);
        return this.#simple(head, comments, last.end, last.at.line);
      }
      head.push(tok);
      this.#pos++;
    }
  }

  #missingSemicolon(last: DhcpdToken): void {
    const at = { ...last.at, column: last.at.column + (last.end - last.offset) };
    this.#error(
      at,
      `missing ';' after '${tokenText(last)}'`,
      "every dhcpd.conf statement ends with ';' (seed 000: the most common mistake)",
    );
  }

  #simple(head: DhcpdToken[], comments: string[], end: number, endLine: number): DhcpdStatement {
    return {
      head,
      at: head[0]!.at,
      offset: head[0]!.offset,
      end,
      comments,
      trailing: this.#trailingOn(endLine),
    };
  }
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
    if (c !== " " && c !== "\t" && c !== "\r") return false;
  }
  return true;
}

function blockKind(head: readonly DhcpdToken[]): BlockKind {
  const k = head[0]?.text.toLowerCase();
  switch (k) {
    case "host":
    case "subnet":
    case "shared-network":
    case "group":
    case "pool":
    case "class":
      return k;
    case "subclass":
      return "class";
    case "if":
    case "elsif":
    case "else":
      return "if";
    default:
      return "other";
  }
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

export function tokenText(t: DhcpdToken): string {
  return t.kind === "string" ? JSON.stringify(t.text) : t.text;
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
