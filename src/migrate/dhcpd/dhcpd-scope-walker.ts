/**
 * Walks a dhcpd.conf statement tree and hands each statement to its
 * importer by keyword: blocks (host, group, subnet, shared-network, pool,
 * if) open a scope and descend, parameters and options write into the
 * scope's layer. A keyword with no importer is kept as a comment, with the
 * reason from dhcpd-keyword-table.ts when bootfleet has one.
 */
import { didYouMean } from "../../config/config-error.js";
import type { DhcpdBootFileImport } from "./dhcpd-boot-file-import.js";
import type { DhcpdGroupImport } from "./dhcpd-group-import.js";
import type { DhcpdHostImport } from "./dhcpd-host-import.js";
import type { DhcpdImportReport } from "./dhcpd-import-report.js";
import { DHCPD_KEYWORD_TABLE } from "./dhcpd-keyword-table.js";
import type { DhcpdOptionImport } from "./dhcpd-option-import.js";
import type { DhcpdParameterImport } from "./dhcpd-parameter-import.js";
import type { DhcpdRangeImport } from "./dhcpd-range-import.js";
import type { DhcpdScope, DhcpdWalk } from "./dhcpd-scope.js";
import type { DhcpdSubnetImport } from "./dhcpd-subnet-import.js";
import { type DhcpdStatement, keywordOf } from "./dhcpd-statement.js";
import { tokenText } from "./dhcpd-tokenizer.js";

/** The importers a walk hands statements to. */
export interface DhcpdImporters {
  readonly report: DhcpdImportReport;
  readonly hosts: DhcpdHostImport;
  readonly groups: DhcpdGroupImport;
  readonly subnets: DhcpdSubnetImport;
  readonly ranges: DhcpdRangeImport;
  readonly options: DhcpdOptionImport;
  readonly bootFiles: DhcpdBootFileImport;
  readonly parameters: DhcpdParameterImport;
}

type Importer = (st: DhcpdStatement, scope: DhcpdScope) => void;

export class DhcpdScopeWalker {
  readonly #report: DhcpdImportReport;
  /** Importers of `keyword { ... }`, by keyword. */
  readonly #blocks: ReadonlyMap<string, Importer>;
  /** Importers of `keyword ...;`, by keyword. */
  readonly #statements: ReadonlyMap<string, Importer>;

  constructor(importers: DhcpdImporters) {
    const { report, hosts, groups, subnets, ranges, options, bootFiles, parameters } = importers;
    this.#report = report;
    const walk: DhcpdWalk = (sts, scope) => this.walk(sts, scope);
    this.#blocks = new Map<string, Importer>([
      ["host", (st, scope) => hosts.host(st, scope, walk)],
      ["group", (st, scope) => groups.group(st, scope, walk)],
      ["subnet", (st, scope) => subnets.subnet(st, scope, walk)],
      ["shared-network", (st, scope) => subnets.sharedNetwork(st, scope, walk)],
      ["pool", (st, scope) => ranges.pool(st, scope)],
      ["if", (st, scope) => bootFiles.ifChain(st, scope, (s) => this.statement(s, scope))],
      ["class", (st, scope) => this.#class(st, scope)],
    ]);
    this.#statements = new Map<string, Importer>([
      ["option", (st, scope) => options.option(st, scope)],
      ["filename", (st, scope) => bootFiles.filename(st, scope)],
      ["next-server", (st, scope) => bootFiles.nextServer(st, scope)],
      ["server-identifier", (st, scope) => parameters.serverIdentifier(st, scope)],
      ["default-lease-time", (st, scope) => parameters.leaseTime(st, scope)],
      ["dhcp-cache-threshold", (st, scope) => parameters.cacheThreshold(st, scope)],
      ["authoritative", (st, scope) => parameters.authoritative(st, scope)],
      ["not", (st, scope) => parameters.authoritative(st, scope)],
      ["boot-unknown-clients", (st, scope) => parameters.bootUnknown(st, scope)],
      ["allow", (st, scope) => parameters.allowDeny(st, scope)],
      ["deny", (st, scope) => parameters.allowDeny(st, scope)],
      ["ignore", (st, scope) => parameters.allowDeny(st, scope)],
      ["hardware", (st, scope) => hosts.hardware(st, scope)],
      ["fixed-address", (st, scope) => hosts.fixedAddress(st, scope)],
      ["range", (st, scope) => ranges.range(st, scope)],
      ["range6", (st, scope) => ranges.range(st, scope)],
      ["include", (st, scope) => this.#include(st, scope)],
    ]);
  }

  walk(statements: readonly DhcpdStatement[], scope: DhcpdScope): void {
    for (const st of statements) this.statement(st, scope);
  }

  statement(st: DhcpdStatement, scope: DhcpdScope): void {
    const kw = keywordOf(st);
    if (st.block) {
      const block = this.#blocks.get(kw);
      if (block) block(st, scope);
      else
        this.#report.note(
          scope,
          st,
          `not mapped: ${DHCPD_KEYWORD_TABLE.notMapped(kw) ?? `bootfleet has no '${st.head[0]?.text ?? "{"}' block`}`,
        );
      return;
    }
    const importer = this.#statements.get(kw);
    if (importer) {
      importer(st, scope);
      return;
    }
    const byDesign = DHCPD_KEYWORD_TABLE.mappedByDesign(kw);
    if (byDesign !== undefined) {
      this.#report.note(scope, st, `mapped by design: ${byDesign}`);
      return;
    }
    // A near miss of a statement dhcpd knows is a typo dhcpd itself refuses
    // (`dhcpd -t`: "expecting a parameter or declaration"), not a
    // statement to leave out quietly.
    const near =
      DHCPD_KEYWORD_TABLE.notMapped(kw) === undefined && /^[a-z][a-z0-9-]{3,}$/.test(kw)
        ? didYouMean(kw, [
            ...this.#statements.keys(),
            ...this.#blocks.keys(),
            ...DHCPD_KEYWORD_TABLE.keywords(),
          ])
        : undefined;
    if (near !== undefined && near !== kw)
      this.#report.error(
        st.head[0]!.at,
        `'${st.head[0]!.text}' is no dhcpd statement; did you mean '${near}'?`,
        "dhcpd refuses this file as well (dhcpd -t): correct the name",
      );
    this.#report.note(
      scope,
      st,
      `not mapped: ${DHCPD_KEYWORD_TABLE.notMapped(kw) ?? `bootfleet has no equivalent of '${st.head[0]?.text ?? ""}'`}`,
    );
  }

  /**
   * `class NAME { match if ...; ... }`. A class matching the vendor class
   * "PXEClient" holds for every PXE ROM (PXE 2.1 spec, option 60), which
   * are the clients bootfleet boots, so what it sets is imported where the
   * class is written (Cobbler's stock dhcp.template keeps its boot files in
   * such a class inside the subnet). Any other class is refused when it
   * sets what boots, and otherwise kept as a comment with a warning.
   */
  #class(st: DhcpdStatement, scope: DhcpdScope): void {
    const block = st.block ?? [];
    const match = block.find((s) => keywordOf(s) === "match");
    const words = (match?.head ?? []).map((t) => t.text);
    const text = (match?.head ?? []).map(tokenText).join(" ");
    const pxeClients =
      match !== undefined &&
      words.includes("vendor-class-identifier") &&
      /substring\s*\(\s*option\s+vendor-class-identifier\s*,\s*0\s*,\s*9\s*\)\s*=\s*"PXEClient"/i.test(text);
    if (pxeClients) {
      this.#report.note(
        scope,
        match,
        `mapped: class ${st.head[1] ? tokenText(st.head[1]) : ""} holds for every PXE ROM (vendor class PXEClient), the clients bootfleet boots; what it sets is imported here`,
      );
      for (const s of block) if (s !== match) this.statement(s, scope);
      return;
    }
    const bootKeywords = new Set(["filename", "next-server", "if", "server-name"]);
    const setsBoot = block.find((s) => bootKeywords.has(keywordOf(s)));
    if (setsBoot)
      this.#report.error(
        setsBoot.at,
        `class ${st.head[1] ? tokenText(st.head[1]) : ""} sets what its members boot, and bootfleet has no classes`,
        "set it on a group matching those machines (by MAC, hostname, address, or match.arch for an architecture)",
      );
    else
      this.#report.warn(
        st.at,
        `class ${st.head[1] ? tokenText(st.head[1]) : ""} is not imported: bootfleet has no classes`,
        "set what it gives on a group matching its members",
      );
    this.#report.note(scope, st, `not mapped: ${DHCPD_KEYWORD_TABLE.notMapped("class")}`);
  }

  /** `include "FILE";`: the included file is imported only when it is passed too. */
  #include(st: DhcpdStatement, scope: DhcpdScope): void {
    this.#report.warn(
      st.at,
      `include ${st.head[1] ? tokenText(st.head[1]) : ""} is not followed`,
      "import the included file too: bootfleet import FILE...",
    );
    this.#report.note(scope, st, "not followed: pass the included file to `bootfleet import` as well");
  }
}
