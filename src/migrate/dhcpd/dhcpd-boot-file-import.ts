/**
 * Where a machine's first boot file comes from: `filename`, `next-server`,
 * and `if` chains that pick a boot file by client. bootfleet builds the
 * PXE -> iPXE chain itself (BIOS -> undionly.kpxe, UEFI -> ipxe.efi, a
 * running iPXE -> its per-machine script), so of a hand-built chain one
 * branch's boot file is kept as the layer's dhcp.filename, the file that
 * replaces that first stage for PXE ROMs, and the chain is kept as a comment.
 */
import { parseIpv4 } from "../../config/net-address.js";
import { ADDRESS_RANK, type ConfigDraft } from "../config-draft.js";
import { NESTING_LIMIT } from "../nesting-limit.js";
import { DhcpdIfChain, describeConditions } from "./dhcpd-if-chain.js";
import type { DhcpdImportReport } from "./dhcpd-import-report.js";
import type { DhcpdScope } from "./dhcpd-scope.js";
import { type DhcpdStatement, keywordOf, valueComments } from "./dhcpd-statement.js";

export class DhcpdBootFileImport {
  readonly #file: string;
  readonly #draft: ConfigDraft;
  readonly #report: DhcpdImportReport;
  readonly #archOptionNames: ReadonlySet<string>;

  constructor(
    file: string,
    draft: ConfigDraft,
    report: DhcpdImportReport,
    archOptionNames: ReadonlySet<string>,
  ) {
    this.#file = file;
    this.#draft = draft;
    this.#report = report;
    this.#archOptionNames = archOptionNames;
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
    const chain = new DhcpdIfChain(st, this.#archOptionNames);
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
}
