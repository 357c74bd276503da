/**
 * Where a machine's first boot file comes from: `filename`, `next-server`,
 * and `if` chains that pick a boot file by client. bootfleet builds the
 * PXE -> iPXE chain itself (BIOS -> undionly.kpxe, UEFI -> ipxe.efi, a
 * running iPXE -> its per-machine script), so of a hand-built chain one
 * branch's boot file is kept as the layer's dhcp.filename, the file that
 * replaces that first stage for PXE ROMs, and the chain is kept as a comment.
 */
import { parseIpv4 } from "../../config/net-address.js";
import { ADDRESS_RANK, type ConfigDraft, type GroupDraft, type LayerDraft } from "../config-draft.js";
import { NESTING_LIMIT } from "../nesting-limit.js";
import { archGroup, archGroupName } from "../arch-group.js";
import { BOOT_FILE_NAMES } from "../boot-file-names.js";
import { archBranches, namesArchitectures } from "./dhcpd-arch-branches.js";
import { DhcpdIfChain, type DhcpdIfLeaf, describeConditions, leafFilename } from "./dhcpd-if-chain.js";
import type { DhcpdImportReport } from "./dhcpd-import-report.js";
import type { DhcpdScope } from "./dhcpd-scope.js";
import { type DhcpdStatement, keywordOf, valueComments } from "./dhcpd-statement.js";

export class DhcpdBootFileImport {
  readonly #file: string;
  readonly #draft: ConfigDraft;
  readonly #report: DhcpdImportReport;
  readonly #archOptionNames: ReadonlySet<string>;
  readonly #ipxeSpaces: ReadonlySet<string>;
  /** Per-architecture chains, with the scope each was written in, checked by checkArchScopes. */
  readonly #archChains: { readonly st: DhcpdStatement; readonly kind: DhcpdScope["kind"] }[] = [];
  /** The arch groups earlier chains of a scope made, by the scope's layer: a later chain's else overrides them. */
  readonly #archGroupsOf = new Map<LayerDraft, Map<GroupDraft, readonly number[]>>();

  constructor(
    file: string,
    draft: ConfigDraft,
    report: DhcpdImportReport,
    archOptionNames: ReadonlySet<string>,
    ipxeSpaces: ReadonlySet<string> = new Set(),
  ) {
    this.#file = file;
    this.#draft = draft;
    this.#report = report;
    this.#archOptionNames = archOptionNames;
    this.#ipxeSpaces = ipxeSpaces;
  }

  /**
   * Once the file is read: a per-architecture group holds on every network,
   * and over every network's own boot file, so a chain written in one
   * subnet of several, or at the top of a file whose subnets set their own
   * filename (which dhcpd prefers, the subnet being the closer scope), has
   * no bootfleet equivalent.
   */
  checkArchScopes(): void {
    for (const { st, kind } of this.#archChains) {
      if (kind !== "global" && this.#draft.networks.length > 1)
        this.#report.error(
          st.at,
          "a per-architecture boot file in one subnet of several: bootfleet's groups with match.arch hold on every network",
          "move the chain to the top of the file if every subnet boots the same way, or import the subnets one at a time",
        );
      const own = this.#draft.networks.find((n) => n.get(["dhcp", "filename"]) !== undefined);
      if (kind === "global" && own)
        this.#report.error(
          st.at,
          `a per-architecture boot file at the top of the file, and network ${own.subnet} sets its own filename, which dhcpd prefers for its clients`,
          "set the per-architecture files in each subnet, or drop the subnet's filename",
        );
    }
  }

  filename(st: DhcpdStatement, scope: DhcpdScope): void {
    const v = this.#report.oneValue(st, "filename", 'filename "pxelinux.0";');
    if (!v) {
      this.#report.note(scope, st, "not mapped: it has no value");
      return;
    }
    scope.layer.set(["dhcp", "filename"], v.text, valueComments(st));
  }

  nextServer(st: DhcpdStatement, scope: DhcpdScope): void {
    const report = this.#report;
    const v = report.oneValue(st, "next-server", "next-server 10.0.0.11;");
    if (!v) {
      report.note(scope, st, "not mapped: it has no value");
      return;
    }
    if (parseIpv4(v.text) === null) {
      report.warn(
        v.at,
        `next-server '${v.text}' is not an IPv4 address (dhcpd looks names up in DNS)`,
        "write the TFTP server's address",
      );
      report.note(scope, st, "not mapped: a DNS name; bootfleet needs the address");
      return;
    }
    scope.layer.set(["dhcp", "next_server"], v.text, valueComments(st));
    this.#draft.proposeServerAddress(v.text, ADDRESS_RANK.tftpServer, `next-server in ${this.#file}`, st.at);
  }

  /**
   * An `if` chain: the chosen branch's filename, and its next-server and
   * options (imported by `apply`, as if written in `scope`); the chain
   * itself as a comment.
   */
  ifChain(st: DhcpdStatement, scope: DhcpdScope, apply: (st: DhcpdStatement) => void): void {
    if (DhcpdIfChain.countBranches(st, NESTING_LIMIT + 1) > NESTING_LIMIT) {
      this.#report.warn(
        st.at,
        `an if chain of more than ${NESTING_LIMIT} branches is not read`,
        "set dhcp.filename on the group or host each branch is for",
      );
      scope.notes.push({
        at: st.at,
        source: this.#report.source(st),
        why: `not mapped: bootfleet reads if chains of up to ${NESTING_LIMIT} branches`,
      });
      return;
    }
    const chain = new DhcpdIfChain(st, this.#archOptionNames, this.#ipxeSpaces);
    if (namesArchitectures(chain)) {
      this.#perArch(chain, st, scope, apply);
      return;
    }
    const chosen = chain.bootFileLeaf();
    const source = this.#report.source(st);
    if (!chosen) {
      scope.notes.push({
        at: st.at,
        source,
        why: chain.handsOutOwnChain()
          ? "mapped by design: this is the chain bootfleet builds itself (BIOS -> undionly.kpxe, UEFI -> ipxe.efi, iPXE -> http://<server>/boot/<mac>.ipxe)"
          : chain.hasUnknownConditions()
            ? "not mapped: bootfleet cannot tell what these conditions select; set dhcp.filename on the group or host it is for"
            : "not mapped: no branch sets a boot file",
      });
      return;
    }
    const { leaf, file } = chosen;
    const condText = describeConditions(leaf.conds);
    scope.layer.set(["dhcp", "filename"], file.head[1]!.text, {
      before: file.comments,
      inline: `${this.#file}:${file.at.line}, for ${condText}${file.trailing !== undefined ? ` -${file.trailing}` : ""}`,
    });
    for (const s of leaf.statements) {
      if (s === file) continue;
      const kw = keywordOf(s);
      if (kw === "next-server" || kw === "option") apply(s);
    }
    const others = chain.leaves.filter((l) => l !== leaf);
    scope.notes.push({
      at: st.at,
      source,
      why: [
        `mapped: the boot file ${file.head[1]!.text} that ${condText} got${leaf.statements.some((s) => keywordOf(s) === "next-server") ? ", and its next-server" : ""} (see dhcp above).`,
        "bootfleet builds the PXE chain itself: BIOS ROMs get undionly.kpxe, UEFI ROMs ipxe.efi, and a running iPXE its",
        "per-machine script; dhcp.filename replaces that first stage for PXE ROMs.",
        ...(others.length
          ? [
              `The other branch(es) (${others.map((l) => describeConditions(l.conds)).join("; ")}) are not mapped.`,
            ]
          : []),
      ].join("\n"),
    });
  }

  /**
   * A chain that picks the boot file by client architecture: what a PXE ROM
   * of no named architecture takes goes on the scope, and each named
   * architecture that takes another file gets it through a group with
   * match.arch. Branches for a running iPXE are bootfleet's own chain.
   */
  #perArch(
    chain: DhcpdIfChain,
    st: DhcpdStatement,
    scope: DhcpdScope,
    apply: (st: DhcpdStatement) => void,
  ): void {
    const report = this.#report;
    const source = report.source(st);
    const r = archBranches(chain);
    if (!r.decided) {
      report.error(
        r.leaf.branch.at,
        `cannot tell which clients this branch is for (${r.condition.text}), so not which architecture boots what`,
        "split the chain by option arch (option 93) only, or set dhcp.filename by hand",
      );
      scope.notes.push({ at: st.at, source, why: "not mapped: a condition bootfleet cannot decide" });
      return;
    }
    if (scope.kind === "host" || scope.kind === "group" || scope.kind === "pool") {
      report.error(
        st.at,
        `a per-architecture boot file inside a ${scope.kind}: bootfleet's groups with match.arch hold on every machine`,
        "move the chain to the subnet or the top of the file",
      );
      scope.notes.push({ at: st.at, source, why: "not mapped" });
      return;
    }
    this.#archChains.push({ st, kind: scope.kind });
    for (const leaf of chain.leaves)
      if (leaf.conds.some((c) => !c.negated && c.kind === "user-class")) {
        const f = leafFilename(leaf);
        if (f && BOOT_FILE_NAMES.classify(f.head[1]!.text) === "other")
          report.warn(
            f.at,
            `a running iPXE got ${f.head[1]!.text} from this branch; bootfleet hands it its own per-machine script instead`,
            "put what that script did in the image and its kernel_args",
          );
      }
    const fileText = (leaf: DhcpdIfLeaf | undefined) => {
      const f = leaf ? leafFilename(leaf) : undefined;
      return f?.head[1]?.text;
    };
    const otherFile = fileText(r.other);
    if (r.other && otherFile !== undefined) {
      const f = leafFilename(r.other)!;
      scope.layer.set(["dhcp", "filename"], otherFile, {
        before: f.comments,
        inline: `${this.#file}:${f.at.line}, for ${describeConditions(r.other.conds)}`,
      });
      for (const s of r.other.statements) {
        const kw = keywordOf(s);
        if (s !== f && (kw === "next-server" || kw === "option")) apply(s);
      }
    }
    // dhcpd runs every chain of a scope in order, so this chain's else
    // branch also replaces what an earlier chain gave an architecture this
    // one does not name.
    const earlier = this.#archGroupsOf.get(scope.layer) ?? new Map<GroupDraft, readonly number[]>();
    this.#archGroupsOf.set(scope.layer, earlier);
    if (otherFile !== undefined)
      for (const [group, codes] of earlier) {
        const named = codes.filter((c) => r.byArch.has(c));
        if (named.length === 0) {
          group.set(["dhcp", "filename"], otherFile, {
            inline: `${this.#file}:${st.at.line}: the later chain's else branch`,
          });
          group.delete(["dhcp", "next_server"]);
        } else if (named.length < codes.length)
          report.error(
            st.at,
            `this chain names architecture ${named.join(", ")} but not ${codes.filter((c) => !named.includes(c)).join(", ")}, which an earlier chain gave the same file`,
            "write one chain per scope",
          );
      }
    const groups = new Map<string, { leaf: DhcpdIfLeaf; codes: number[] }>();
    for (const [code, leaf] of r.byArch) {
      const file = fileText(leaf);
      if (leaf === r.other || file === otherFile) continue;
      // iPXE's stock binary where no other file is given is bootfleet's own chain.
      if (otherFile === undefined && file !== undefined && BOOT_FILE_NAMES.classify(file) !== "other")
        continue;
      if (file === undefined) {
        report.error(
          (leaf ?? chain.leaves[0]!).branch.at,
          `architecture ${code} clients take a branch with no filename, where other clients get ${otherFile}`,
          "give that branch its filename",
        );
        continue;
      }
      const key = `${leaf!.branch.at.line}`;
      const entry = groups.get(key) ?? { leaf: leaf!, codes: [] };
      entry.codes.push(code);
      groups.set(key, entry);
    }
    for (const { leaf, codes } of groups.values()) {
      const group = archGroup(this.#draft, codes, leaf.branch.at);
      earlier.set(group, codes);
      const f = leafFilename(leaf)!;
      group.set(["dhcp", "filename"], f.head[1]!.text, {
        before: f.comments,
        inline: `${this.#file}:${f.at.line}, for architecture ${codes.join(", ")} (${archGroupName(codes)})`,
      });
      for (const s of leaf.statements) {
        const kw = keywordOf(s);
        if (s === f) continue;
        if (kw === "next-server") {
          const v = s.head[1]?.text;
          if (v && parseIpv4(v) !== null) group.set(["dhcp", "next_server"], v, valueComments(s));
        } else
          report.warn(
            s.at,
            `'${kw}' in a per-architecture branch is not imported; only filename and next-server are`,
            `set it on group ${group.name} by hand`,
          );
      }
    }
    scope.notes.push({
      at: st.at,
      source,
      why: `mapped per architecture: ${[
        `others -> ${otherFile ?? "bootfleet's own chain"}`,
        ...[...groups.values()].map(
          ({ leaf, codes }) => `${codes.join("/")} -> ${fileText(leaf)} (group ${archGroupName(codes)})`,
        ),
      ].join("; ")}; a running iPXE gets bootfleet's per-machine script`,
    });
  }
}
