/**
 * `bootfleet import FILE...`: the configurations users run today (ISC
 * dhcpd, LTSP's lts.conf and ltsp.conf, dnsmasq, pxelinux) into one
 * bootfleet config. Each file is parsed by its own parser, all of them
 * write into one draft, and the draft is checked and rendered as YAML with
 * a comment on every line that could not be mapped.
 *
 * Errors (the input is malformed) stop the import unless `partial` is set;
 * then the config is written anyway, with each error in its header. An
 * input that is no text (checkImportText) is not parsed at all. Every
 * parser and importer runs in time and memory linear in its input, and
 * nesting is followed NESTING_LIMIT levels deep, so no input makes an
 * import hang or run out of stack or heap.
 */
import type { Document } from "yaml";
import { checkImportText } from "./check-import-text.js";
import { ConfigDraft } from "./config-draft.js";
import { detectFormat, type ImportFormat } from "./detect-format.js";
import { importDhcpdConf } from "./dhcpd/dhcpd-conf-import.js";
import { parseDhcpdConf } from "./dhcpd/dhcpd-conf-parser.js";
import { importDnsmasqConf } from "./dnsmasq/dnsmasq-conf-import.js";
import { finalizeDraft } from "./finalize-draft.js";
import { formatImportProblem, ImportError, type ImportProblem } from "./import-problem.js";
import { importLtsConf } from "./lts/lts-conf-import.js";
import { parseLtsConf } from "./lts/lts-conf-parser.js";
import { importPxelinuxCfg } from "./pxelinux/pxelinux-cfg-import.js";
import type { PxelinuxTree } from "./pxelinux/pxelinux-tree.js";
import { renderDraft } from "./render-draft.js";

export interface ImportInput {
  readonly file: string;
  readonly text: string;
  /** Overrides detection. */
  readonly format?: ImportFormat | undefined;
  /** A pxelinux config's TFTP tree: the files it may INCLUDE (readImportFiles reads them). */
  readonly pxelinuxTree?: PxelinuxTree | undefined;
}

export interface ImportOptions {
  readonly serverAddress?: string | undefined;
  /** Write a config even when inputs have errors (they become comments in its header). */
  readonly partial?: boolean | undefined;
}

export interface ImportResult {
  readonly yaml: string;
  readonly document: Document;
  /** Warnings (and, with `partial`, errors). */
  readonly problems: readonly ImportProblem[];
  readonly formats: readonly { readonly file: string; readonly format: ImportFormat }[];
}

export function importConfig(inputs: readonly ImportInput[], options: ImportOptions = {}): ImportResult {
  const draft = new ConfigDraft();
  const problems: ImportProblem[] = [];
  const formats: { file: string; format: ImportFormat }[] = [];
  for (const input of inputs) {
    draft.sources.push(input.file);
    const checked = checkImportText(input.file, input.text);
    problems.push(...checked);
    if (checked.some((p) => p.severity === "error")) continue;
    const format = input.format ?? detectFormat(input.file, input.text);
    if (!format) {
      problems.push({
        severity: "error",
        at: { file: input.file, line: 1, column: 1 },
        message: "cannot tell what kind of file this is",
        hint: "name it after what it is (dhcpd.conf, lts.conf, ltsp.conf, dnsmasq.conf, pxelinux.cfg/...) or pass --format",
      });
      continue;
    }
    formats.push({ file: input.file, format });
    switch (format) {
      case "dhcpd": {
        const parsed = parseDhcpdConf(input.text, input.file);
        problems.push(...parsed.problems);
        importDhcpdConf(parsed, draft, problems);
        break;
      }
      case "lts":
      case "ltsp": {
        const parsed = parseLtsConf(input.text, input.file, format);
        problems.push(...parsed.problems);
        importLtsConf(parsed, draft, problems);
        break;
      }
      case "dnsmasq":
        importDnsmasqConf(input.text, input.file, draft, problems);
        break;
      case "pxelinux":
        importPxelinuxCfg(input.text, input.file, draft, problems, input.pxelinuxTree);
        break;
    }
  }
  const server = finalizeDraft(draft, problems, { serverAddress: options.serverAddress });
  const sorted = sortProblems(problems);
  const errors = sorted.filter((p) => p.severity === "error");
  if (errors.length && !options.partial) throw new ImportError(errors);

  const header = [
    `bootfleet config imported by \`bootfleet import\` from:`,
    ...formats.map((f) => `  ${f.file} (${f.format})`),
    "What could not be mapped is kept below as comments, where it was written, with file:line and the reason.",
    "Check it with `bootfleet check -c FILE`, and see one machine with `bootfleet explain MACHINE -c FILE`.",
  ];
  if (errors.length) {
    header.push(
      "",
      `PARTIAL IMPORT: the inputs have ${errors.length} error(s); what they broke is not imported:`,
    );
    for (const e of errors)
      header.push(
        ...formatImportProblem(e)
          .split("\n")
          .map((l) => `  ${l}`),
      );
  }
  const document = renderDraft(draft, server, header);
  return { yaml: document.toString({ lineWidth: 0 }), document, problems: sorted, formats };
}

function sortProblems(problems: readonly ImportProblem[]): ImportProblem[] {
  return [...problems].sort(
    (a, b) => a.at.file.localeCompare(b.at.file) || a.at.line - b.at.line || a.at.column - b.at.column,
  );
}
