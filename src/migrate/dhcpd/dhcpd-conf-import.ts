/**
 * dhcpd.conf statements (dhcpd-conf-parser.ts) into the config draft.
 *
 * Each statement goes where it was written (dhcpd-scope.ts: dhcpd's scope
 * order is bootfleet's layer order), to the importer for its keyword
 * (dhcpd-scope-walker.ts); what does not map is kept as a comment with the
 * reason (dhcpd-keyword-table.ts). This file wires the importers together
 * and decides what only the whole file can tell: the options bootfleet
 * derives from every network, and whether bootfleet replaces dhcpd (full
 * mode) or starts beside it (proxy).
 */
import type { ConfigDraft } from "../config-draft.js";
import type { ImportProblem } from "../import-problem.js";
import { DhcpdBootFileImport } from "./dhcpd-boot-file-import.js";
import type { DhcpdParseResult } from "./dhcpd-conf-parser.js";
import { DhcpdGroupImport } from "./dhcpd-group-import.js";
import { DhcpdHostImport } from "./dhcpd-host-import.js";
import { DhcpdImportReport } from "./dhcpd-import-report.js";
import { DHCPD_KEYWORD_TABLE } from "./dhcpd-keyword-table.js";
import { DhcpdOptionDeclarations } from "./dhcpd-option-declarations.js";
import { DhcpdOptionImport } from "./dhcpd-option-import.js";
import { DhcpdParameterImport } from "./dhcpd-parameter-import.js";
import { DhcpdRangeImport } from "./dhcpd-range-import.js";
import { globalScope } from "./dhcpd-scope.js";
import { DhcpdScopeWalker } from "./dhcpd-scope-walker.js";
import { DhcpdSubnetImport } from "./dhcpd-subnet-import.js";

/** The client architecture option (RFC 4578 §2.1), which `if` chains test to tell BIOS from UEFI. */
const CLIENT_ARCH_OPTION = 93;

/** iPXE's encapsulated options (option 175, iPXE's "dhcpd" how-to). */
const IPXE_ENCAPSULATED = 175;

export function importDhcpdConf(
  parsed: DhcpdParseResult,
  draft: ConfigDraft,
  problems: ImportProblem[],
): void {
  const file = parsed.file;
  const report = new DhcpdImportReport(parsed, problems);
  const declarations = DhcpdOptionDeclarations.collect(parsed.statements);
  const archOptionNames = new Set([
    ...DHCPD_KEYWORD_TABLE.archOptionNames,
    ...declarations.namesOf(CLIENT_ARCH_OPTION),
  ]);
  const bootFiles = new DhcpdBootFileImport(
    file,
    draft,
    report,
    archOptionNames,
    new Set(declarations.spacesIn(IPXE_ENCAPSULATED)),
  );
  const hosts = new DhcpdHostImport(file, draft, report);
  const ranges = new DhcpdRangeImport(report);
  const options = new DhcpdOptionImport(report, draft, declarations);
  const walker = new DhcpdScopeWalker({
    report,
    hosts,
    groups: new DhcpdGroupImport(file, draft, report),
    subnets: new DhcpdSubnetImport(file, draft, report),
    ranges,
    options,
    bootFiles,
    parameters: new DhcpdParameterImport(file, draft, report),
  });
  walker.walk(parsed.statements, globalScope(draft));
  bootFiles.checkArchScopes();
  report.keepComments(parsed.closingComments, draft.notes, "at the end of the file");
  options.resolveGlobalDerived();
  if (draft.services.dhcp.mode !== undefined) return;
  if (ranges.sawRange)
    draft.setService("dhcp", "mode", "full", {
      before: [
        `${file}: dhcpd handed out addresses (range). To keep that DHCP server instead, set mode: proxy`,
        "and add the output of `bootfleet export dhcpd` to its dhcpd.conf.",
      ],
    });
  else if (hosts.declaredCount > 0 || draft.networks.length > 0)
    draft.setService("dhcp", "mode", "proxy", {
      before: [
        `${file} has no range: dhcpd gave out only the hosts' fixed addresses. bootfleet's full mode`,
        "needs a pool, so it starts beside your DHCP server (proxy); add a pool and mode: full to replace it,",
        "or keep dhcpd and add the output of `bootfleet export dhcpd` to it.",
      ],
    });
}
