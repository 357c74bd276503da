/**
 * An `if` / `elsif` / `else` chain (dhcp-eval(5)) read as leaves: each
 * branch's plain statements with every condition that leads there (the
 * earlier branches' negated). Conditions on the vendor class (PXEClient,
 * Etherboot), the user class (gPXE, iPXE) and the client architecture
 * (option 93, RFC 4578 §2.1) are how people built the PXE -> gPXE/iPXE ->
 * pxelinux chain by hand; the other conditions are kept as text.
 */
import { BOOT_FILE_NAMES } from "../boot-file-names.js";
import { type DhcpdStatement, keywordOf } from "./dhcpd-statement.js";
import { type DhcpdToken, tokenText } from "./dhcpd-tokenizer.js";

export interface DhcpdCondition {
  readonly kind: "vendor" | "user-class" | "arch" | "unknown";
  readonly value?: string | undefined;
  readonly codes?: readonly number[] | undefined;
  /** A vendor condition on `substring(option vendor-class-identifier, OFFSET, LENGTH)`. */
  readonly substring?: { readonly offset: number; readonly length: number } | undefined;
  readonly negated: boolean;
  readonly text: string;
}

export interface DhcpdIfLeaf {
  readonly conds: readonly DhcpdCondition[];
  readonly statements: readonly DhcpdStatement[];
  readonly branch: DhcpdStatement;
}

export class DhcpdIfChain {
  /**
   * The branches of an if chain, nested ifs' included, counted up to
   * `atMost`. Each leaf carries the negations of the branches before it,
   * so a chain is only read when it is short enough for that to stay small.
   */
  static countBranches(st: DhcpdStatement, atMost: number): number {
    let count = 0;
    const visit = (chain: DhcpdStatement): void => {
      for (const branch of [chain, ...(chain.elseBranches ?? [])]) {
        if (++count >= atMost) return;
        for (const s of branch.block ?? []) {
          if (s.block && keywordOf(s) === "if") visit(s);
          if (count >= atMost) return;
        }
      }
    };
    visit(st);
    return Math.min(count, atMost);
  }

  readonly leaves: readonly DhcpdIfLeaf[];
  /** The names option 93 goes by in this file. */
  readonly #archNames: ReadonlySet<string>;
  /** Option spaces this file sends inside option 175: only iPXE sends their options. */
  readonly #ipxeSpaces: ReadonlySet<string>;

  constructor(
    st: DhcpdStatement,
    archOptionNames: ReadonlySet<string>,
    ipxeSpaces: ReadonlySet<string> = new Set(),
  ) {
    this.#archNames = archOptionNames;
    this.#ipxeSpaces = ipxeSpaces;
    this.leaves = this.#leaves(st, []);
  }

  /**
   * The branch whose boot file stands for the machine: the one after the
   * chain (iPXE/gPXE), then plain PXE, then the rest. Branches that hand
   * out one of bootfleet's own iPXE binaries or scripts do not count: it
   * builds that chain itself.
   */
  bootFileLeaf(): { readonly leaf: DhcpdIfLeaf; readonly file: DhcpdStatement } | undefined {
    const ranked = this.leaves
      .map((leaf) => ({ leaf, rank: leafRank(leaf), file: leafFilename(leaf) }))
      .filter(
        (x) =>
          x.rank >= 0 && x.file !== undefined && BOOT_FILE_NAMES.classify(x.file.head[1]!.text) === "other",
      );
    ranked.sort((a, b) => b.rank - a.rank);
    const chosen = ranked[0];
    return chosen ? { leaf: chosen.leaf, file: chosen.file! } : undefined;
  }

  /** Some branch hands out one of bootfleet's own iPXE binaries or scripts. */
  handsOutOwnChain(): boolean {
    return this.leaves.some((l) => {
      const f = leafFilename(l);
      return f !== undefined && BOOT_FILE_NAMES.classify(f.head[1]!.text) !== "other";
    });
  }

  /** Some condition is none bootfleet can read. */
  hasUnknownConditions(): boolean {
    return this.leaves.some((l) => l.conds.some((c) => c.kind === "unknown"));
  }

  #leaves(st: DhcpdStatement, prefix: readonly DhcpdCondition[]): DhcpdIfLeaf[] {
    const out: DhcpdIfLeaf[] = [];
    const negated: DhcpdCondition[] = [];
    for (const branch of [st, ...(st.elseBranches ?? [])]) {
      const words = branch.head.map((t) => t.text.toLowerCase());
      const isElse = words[0] === "else" && words[1] !== "if";
      const condTokens =
        words[0] === "if" || words[0] === "elsif"
          ? branch.head.slice(1)
          : words[0] === "else"
            ? branch.head.slice(2)
            : [];
      const cond = isElse ? undefined : this.#condition(condTokens);
      const conds = [...prefix, ...negated, ...(cond ? [cond] : [])];
      const plain = (branch.block ?? []).filter((s) => !(s.block && keywordOf(s) === "if"));
      const nested = (branch.block ?? []).filter((s) => s.block && keywordOf(s) === "if");
      if (nested.length === 0) out.push({ conds, statements: plain, branch });
      else {
        if (plain.length) out.push({ conds, statements: plain, branch });
        for (const n of nested) out.push(...this.#leaves(n, conds));
      }
      if (cond) negated.push({ ...cond, negated: !cond.negated });
    }
    return out;
  }

  #condition(tokens: readonly DhcpdToken[]): DhcpdCondition {
    const words = tokens.map((t) => t.text.toLowerCase());
    const text = tokens.map(tokenText).join(" ");
    const negated = words[0] === "not";
    const str = tokens.find((t) => t.kind === "string")?.text;
    if (words.includes("vendor-class-identifier") && str !== undefined) {
      const sub = /substring\s*\(\s*option\s+vendor-class-identifier\s*,\s*(\d+)\s*,\s*(\d+)\s*\)/i.exec(
        text,
      );
      return {
        kind: "vendor",
        value: str,
        negated,
        text,
        ...(sub ? { substring: { offset: Number(sub[1]), length: Number(sub[2]) } } : {}),
      };
    }
    // `exists SPACE.NAME` for a space sent inside option 175: an iPXE feature
    // test (iPXE's "dhcpd" how-to), so a running iPXE.
    if (words[0] === "exists" || words[1] === "exists") {
      const opt = words[words.indexOf("exists") + 1] ?? "";
      if (this.#ipxeSpaces.has(opt.slice(0, opt.indexOf("."))))
        return { kind: "user-class", value: "iPXE", negated, text };
    }
    if (words.includes("user-class") && str !== undefined)
      return { kind: "user-class", value: str, negated, text };
    const optIdx = words.findIndex((w, i) => w === "option" && this.#archNames.has(words[i + 1] ?? ""));
    if (optIdx >= 0) {
      const codes = tokens
        .filter(
          (t, i) => i > optIdx + 1 && t.kind === "word" && /^[0-9a-f:]+$/i.test(t.text) && t.text !== "or",
        )
        .map((t) => (t.text.includes(":") ? Number.parseInt(t.text.replaceAll(":", ""), 16) : Number(t.text)))
        .filter((n) => Number.isInteger(n));
      if (codes.length) return { kind: "arch", codes, negated, text };
    }
    if (words.includes("ipxe") || words.some((w) => w.startsWith("ipxe.") || w.startsWith("gpxe.")))
      return { kind: "user-class", value: "iPXE", negated, text };
    return { kind: "unknown", negated, text };
  }
}

/** How well a branch stands for the machine (see bootFileLeaf); -1 when a condition cannot be read. */
function leafRank(leaf: DhcpdIfLeaf): number {
  if (leaf.conds.some((c) => c.kind === "unknown" && !c.negated)) return -1;
  const pos = leaf.conds.filter((c) => !c.negated);
  if (pos.some((c) => c.kind === "user-class" && /^(g|i)pxe$/i.test(c.value ?? ""))) return 4;
  if (pos.some((c) => c.kind === "vendor" && /^pxeclient/i.test(c.value ?? ""))) return 3;
  if (pos.some((c) => c.kind === "arch" && c.codes?.includes(0))) return 3;
  if (pos.length === 0) return 2;
  return 1;
}

export function leafFilename(leaf: DhcpdIfLeaf): DhcpdStatement | undefined {
  return leaf.statements.find((s) => keywordOf(s) === "filename" && s.head[1] !== undefined);
}

/** The conditions as words: "not user class iPXE, architecture 0". */
export function describeConditions(conds: readonly DhcpdCondition[]): string {
  if (conds.length === 0) return "every client";
  return conds
    .map((c) => {
      const not = c.negated ? "not " : "";
      if (c.kind === "vendor") return `${not}vendor class ${c.value}`;
      if (c.kind === "user-class") return `${not}user class ${c.value}`;
      if (c.kind === "arch") return `${not}architecture ${c.codes?.join("/")}`;
      return `${not}(${c.text})`;
    })
    .join(", ");
}
