/**
 * `bootfleet import FILE...` and `bootfleet export dhcpd|dnsmasq|kea`: thin
 * wiring over src/migrate/. main.ts calls registerMigrateCommands(program,
 * loadConfig) with the loader every other verb uses.
 */
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { ConfigError } from "../config/config-error.js";
import { loadConfigFromString } from "../config/load-config.js";
import type { FleetConfig } from "../config/model.js";
import { detectFormatWithEvidence, IMPORT_FORMATS, type ImportFormat } from "../migrate/detect-format.js";
import { dhcpdExportWarnings, exportDhcpd } from "../migrate/export-dhcpd.js";
import { exportDnsmasq } from "../migrate/export-dnsmasq.js";
import { exportKea } from "../migrate/export-kea.js";
import { exportPlan } from "../migrate/export-plan.js";
import { type ImportInput, importConfig } from "../migrate/import-config.js";
import { formatImportProblem, ImportError } from "../migrate/import-problem.js";
import { readImportFiles } from "../migrate/read-import-files.js";

/** An import that stops: every error with file:line:column, and what to do. */
function refuse(e: ImportError, advice: string): void {
  process.stderr.write(`${e.message}\n${e.problems.length} error(s); nothing was written.\n${advice}\n`);
  process.exitCode = 1;
}

/** Which format each input was read as, and how to say another: errors name the parser that read the file. */
function formatsRead(inputs: readonly ImportInput[]): string {
  return inputs
    .map((i) => {
      if (i.format) return `  read ${i.file} as ${i.format} (--format)`;
      const d = detectFormatWithEvidence(i.file, i.text);
      if (!d) return `  ${i.file}: format not recognised`;
      return `  read ${i.file} as ${d.format} (by its ${d.by === "name" ? "name" : "content"}); if it is another format, pass --format ${IMPORT_FORMATS.filter((f) => f !== d.format).join("|")}`;
    })
    .join("\n");
}

export const EXPORT_KINDS = ["dhcpd", "dnsmasq", "kea"] as const;
type ExportKind = (typeof EXPORT_KINDS)[number];

interface ImportOpts {
  output?: string;
  serverAddress?: string;
  format?: ImportFormat;
  partial?: boolean;
  force?: boolean;
}

interface ExportOpts {
  config?: string;
  output?: string;
  efi?: "ipxe" | "snponly";
}

export function registerMigrateCommands(
  program: Command,
  loadConfig: (file?: string) => Promise<FleetConfig>,
): void {
  program
    .command("import")
    .description(
      "turn dhcpd.conf, lts.conf, ltsp.conf, dnsmasq.conf and pxelinux.cfg files into one bootfleet config; " +
        "what cannot be mapped is kept as comments",
    )
    .argument("<files...>", "files to import, detected by name and content (use --format to say)")
    .option("-o, --output <file>", "write the config here (default: standard output)")
    .option(
      "--server-address <ip>",
      "the address clients reach bootfleet at (default: from next-server, SERVER, ...)",
    )
    .addOption(new Option("--format <format>", "read every file as this format").choices([...IMPORT_FORMATS]))
    .option("--partial", "write a config even when the inputs have errors (each error becomes a comment)")
    .option("-f, --force", "overwrite the output file")
    .action(async (files: string[], opts: ImportOpts) => {
      if (opts.output && existsSync(opts.output) && !opts.force)
        throw Object.assign(new Error(`${opts.output} exists`), {
          hint: "pass --force to overwrite it, or choose another -o",
        });
      let inputs: ImportInput[];
      let result: ReturnType<typeof importConfig>;
      try {
        inputs = readImportFiles(files, opts.format);
      } catch (e) {
        if (!(e instanceof ImportError)) throw e;
        refuse(e, "  (pass configuration files: each path must be a readable text file)");
        return;
      }
      try {
        result = importConfig(inputs, { serverAddress: opts.serverAddress, partial: opts.partial });
      } catch (e) {
        if (!(e instanceof ImportError)) throw e;
        refuse(e, `${formatsRead(inputs)}\n  (fix them, or pass --partial to import what can be read)`);
        return;
      }
      for (const p of result.problems) process.stderr.write(`${formatImportProblem(p)}\n`);
      // The import is only done when the result passes `bootfleet check`:
      // checked before anything is written, so a failed import leaves no
      // config behind that a later `serve` would pick up.
      const checkedAs = resolve(opts.output ?? "bootfleet.yaml");
      let failed: ConfigError | undefined;
      try {
        loadConfigFromString(result.yaml, checkedAs);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        failed = e;
      }
      if (failed && !opts.partial) {
        process.stderr.write(
          `${failed.message}\nthe imported config fails bootfleet check (above); nothing was written.\n` +
            `${formatsRead(inputs)}\n  (fix the inputs, or pass --partial to write it anyway and fix it by hand)\n`,
        );
        process.exitCode = 1;
        return;
      }
      if (!opts.output) process.stdout.write(result.yaml);
      else writeFileSync(opts.output, result.yaml);
      const kinds = result.formats.map((f) => `${f.file} (${f.format})`).join(", ");
      const where = opts.output ?? "standard output";
      if (failed) {
        process.stderr.write(
          `${failed.message}\nwrote ${where} from ${kinds} (--partial), but it fails bootfleet check (above): fix it before serving\n`,
        );
        process.exitCode = 1;
      } else if (opts.output)
        process.stderr.write(`wrote ${where} from ${kinds}; it passes bootfleet check\n`);
    });

  program
    .command("export")
    .description("print the boot entries for an existing DHCP server that keeps handing out addresses")
    .addArgument(program.createArgument("<server>", "dhcpd, dnsmasq or kea").choices([...EXPORT_KINDS]))
    .option("-c, --config <file>", "config file (default: $BOOTFLEET_CONFIG or ./bootfleet.yaml)")
    .option("-o, --output <file>", "write it here (default: standard output)")
    .addOption(
      new Option("--efi <binary>", "UEFI iPXE binary: ipxe (its own drivers) or snponly (the firmware's)")
        .choices(["ipxe", "snponly"])
        .default("ipxe"),
    )
    .action(async (kind: ExportKind, opts: ExportOpts) => {
      const config = await loadConfig(opts.config);
      const plan = exportPlan(config, { efiBinary: opts.efi });
      const text =
        kind === "dhcpd" ? exportDhcpd(plan) : kind === "dnsmasq" ? exportDnsmasq(plan) : exportKea(plan);
      if (kind === "dhcpd") for (const w of dhcpdExportWarnings(plan)) process.stderr.write(`${w}\n`);
      if (opts.output) writeFileSync(opts.output, text);
      else process.stdout.write(text);
    });
}
