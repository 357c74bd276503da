/**
 * Tells `serve` and `check` whether the config fits this machine
 * (setup/local-network-check.ts), with the line of the file to change.
 */
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { LineCounter, parseDocument } from "yaml";
import type { FleetConfig } from "../config/model.js";
import { SourceMap } from "../config/source-map.js";
import { checkLocalNetwork, formatFinding, type LocalNetworkFinding } from "../setup/local-network-check.js";

/** sysexits.h EX_CONFIG: systemd's RestartPreventExitStatus= keeps a wrong config from restarting in a loop. */
export const EXIT_NOT_THIS_MACHINE = 78;

/** The findings for `config`, located in the file as the user named it (`shownAs`). */
export function localNetworkFindings(config: FleetConfig, shownAs: string): LocalNetworkFinding[] {
  const lines = new LineCounter();
  const map = new SourceMap(
    shownAs,
    parseDocument(readFileSync(config.file, "utf8"), { lineCounter: lines }),
    lines,
  );
  return checkLocalNetwork(config, networkInterfaces(), (path) => map.locate(path));
}

/**
 * For `serve`: prints every finding to stderr and exits EX_CONFIG when one
 * of them refuses; returns the warnings otherwise, for the log.
 */
export function refuseForeignConfig(config: FleetConfig, shownAs: string): LocalNetworkFinding[] {
  const findings = localNetworkFindings(config, shownAs);
  if (!findings.some((f) => f.refuse)) return findings;
  for (const f of findings) process.stderr.write(`${formatFinding(f, f.refuse ? "error" : "warning")}\n`);
  process.stderr.write(`bootfleet: not serving: ${shownAs} is not a config for this machine.\n`);
  process.exit(EXIT_NOT_THIS_MACHINE);
}
