/**
 * Which branch of a dhcpd `if` chain each client architecture takes, for a
 * PXE ROM (not iPXE): how a per-architecture boot file is read. A ROM sends
 * option 93 and the vendor class "PXEClient:Arch:xxxxx:UNDI:yyyzzz" (PXE
 * 2.1, RFC 4578 §2.1), so conditions on either are decided for each
 * architecture; user-class iPXE conditions are false for a ROM. A chain
 * with another condition before the branch a ROM takes cannot be decided:
 * `undecided` names that branch, and the import refuses it rather than
 * flattening it into one file for every client.
 */
import type { DhcpdCondition, DhcpdIfChain, DhcpdIfLeaf } from "./dhcpd-if-chain.js";

export type DhcpdArchBranches =
  | {
      readonly decided: true;
      /** The branch of a ROM of an architecture no condition names; undefined: none (no else). */
      readonly other: DhcpdIfLeaf | undefined;
      /** The branch of each architecture some condition names. */
      readonly byArch: ReadonlyMap<number, DhcpdIfLeaf | undefined>;
    }
  | { readonly decided: false; readonly leaf: DhcpdIfLeaf; readonly condition: DhcpdCondition };

/** Whether the chain tells clients apart by architecture at all (option 93, or the vendor class's Arch field). */
export function namesArchitectures(chain: DhcpdIfChain): boolean {
  return archCodes(chain).length > 0;
}

export function archBranches(chain: DhcpdIfChain): DhcpdArchBranches {
  const codes = archCodes(chain);
  const take = (code: number | undefined) => {
    for (const leaf of chain.leaves) {
      let holds = true;
      for (const c of leaf.conds) {
        const v = decide(c, code);
        if (v === undefined) return { leaf, condition: c };
        if (!v) {
          holds = false;
          break;
        }
      }
      if (holds) return { leaf };
    }
    return {};
  };
  const other = take(undefined);
  if ("condition" in other && other.condition)
    return { decided: false, leaf: other.leaf!, condition: other.condition };
  const byArch = new Map<number, DhcpdIfLeaf | undefined>();
  for (const code of codes) {
    const t = take(code);
    if ("condition" in t && t.condition) return { decided: false, leaf: t.leaf!, condition: t.condition };
    byArch.set(code, t.leaf);
  }
  return { decided: true, other: other.leaf, byArch };
}

function archCodes(chain: DhcpdIfChain): number[] {
  const codes = new Set<number>();
  for (const leaf of chain.leaves)
    for (const c of leaf.conds) {
      if (c.kind === "arch") for (const n of c.codes ?? []) codes.add(n);
      const v = c.kind === "vendor" ? vendorArch(c) : undefined;
      if (v !== undefined) codes.add(v);
    }
  return [...codes].sort((a, b) => a - b);
}

/** The architecture a vendor-class condition tests, when it tests one. */
function vendorArch(c: DhcpdCondition): number | undefined {
  const s = c.substring;
  const value = c.value ?? "";
  if (s && s.offset === 15 && s.length === 5 && /^\d{5}$/.test(value)) return Number(value);
  const whole = /^PXEClient:Arch:(\d{5})/i.exec(value)?.[1];
  if (whole !== undefined && (!s || (s.offset === 0 && s.length >= 20))) return Number(whole);
  return undefined;
}

/** A PXE ROM's vendor class for `code` (PXE 2.1: "PXEClient:Arch:xxxxx:UNDI:yyyzzz"). */
function romVendorClass(code: number | undefined): string {
  // 65535 stands for an architecture no condition names.
  return `PXEClient:Arch:${String(code ?? 65535).padStart(5, "0")}:UNDI:002001`;
}

/** The condition for a PXE ROM of architecture `code`; undefined: it cannot be told. */
function decide(c: DhcpdCondition, code: number | undefined): boolean | undefined {
  let v: boolean | undefined;
  if (c.kind === "arch") v = code !== undefined && (c.codes ?? []).includes(code);
  else if (c.kind === "user-class") v = false;
  else if (c.kind === "vendor") {
    const vc = romVendorClass(code);
    const s = c.substring;
    if (s) v = vc.slice(s.offset, s.offset + s.length) === c.value;
    else v = undefined;
  }
  if (v === undefined) return undefined;
  return c.negated ? !v : v;
}
