/**
 * Whether a config fits the machine it runs on: its server.address is one of
 * this machine's addresses, and the interfaces it names exist. A config
 * copied from another machine, or the bundled example on a machine without
 * its lab bridge, otherwise starts without a word and hands clients URLs at
 * an address nobody answers at.
 *
 * `serve` refuses on a finding marked `refuse` and warns on the others;
 * `check` only warns, since a config is often checked on another machine
 * than the one that serves it.
 */
import type { FleetConfig, SourceLocation } from "../config/model.js";
import type { InterfaceTable } from "./choose-interface.js";

export interface LocalNetworkFinding {
  /** The line to change. */
  readonly at: SourceLocation;
  /** YAML key path, e.g. `server.address`. */
  readonly path: string;
  readonly message: string;
  readonly hint: string;
  /** `serve` stops: its DHCP service would answer clients on this machine's network with a config for another. */
  readonly refuse: boolean;
}

/** Where a key of the config file was written (SourceMap.locate over the file's text). */
export type LocateKey = (path: readonly (string | number)[]) => SourceLocation;

export function checkLocalNetwork(
  config: Pick<FleetConfig, "server" | "services" | "networks">,
  interfaces: InterfaceTable,
  locate: LocateKey,
): LocalNetworkFinding[] {
  const findings: LocalNetworkFinding[] = [];
  const dhcpOn = config.services.dhcp.mode !== "off";
  const mine = Object.entries(interfaces).flatMap(([name, list]) =>
    (list ?? [])
      .filter((a) => a.family === "IPv4")
      .map((a) => ({ name, address: a.address, internal: a.internal })),
  );
  const offered = mine.filter((a) => !a.internal).map((a) => `${a.address} (${a.name})`);
  const have = offered.length
    ? `this machine has ${offered.join(", ")}`
    : "this machine has no IPv4 address but loopback";
  const init = "or write a config for this machine with `bootfleet init`";
  const { address } = config.server;
  if (!mine.some((a) => a.address === address)) {
    const at = locate(["server", "address"]);
    findings.push({
      at,
      path: "server.address",
      message: `${address} is not an address of this machine${dhcpOn ? ": clients would be sent to boot from it" : ""}`,
      hint: `${have}; set server.address on line ${at.line} to the one clients reach, ${init}`,
      refuse: dhcpOn,
    });
  }
  const named = config.server.interfaces;
  const missing = named.filter((n) => interfaces[n] === undefined);
  named.forEach((name, i) => {
    if (!missing.includes(name)) return;
    const at = locate(["server", "interfaces", i]);
    const none = missing.length === named.length;
    findings.push({
      at,
      path: `server.interfaces[${i}]`,
      message: `interface '${name}' is not on this machine (no such interface, or it has no address)${none && dhcpOn ? ": DHCP would answer on none" : ""}`,
      hint: `${interfaceList(interfaces)}; change line ${at.line}, ${init}`,
      // One of several missing (a NIC not plugged in yet) leaves DHCP serving the others.
      refuse: none && dhcpOn,
    });
  });
  config.networks.forEach((net, i) => {
    if (net.interface === undefined || interfaces[net.interface] !== undefined) return;
    const at = locate(["networks", i, "interface"]);
    findings.push({
      at,
      path: `networks[${i}].interface`,
      message: `interface '${net.interface}' is not on this machine (no such interface, or it has no address): ${net.subnet.text} is served only through relays`,
      hint: `${interfaceList(interfaces)}; change line ${at.line}, or remove it to serve the subnet wherever it is attached`,
      refuse: false,
    });
  });
  return findings;
}

function interfaceList(interfaces: InterfaceTable): string {
  const names = Object.entries(interfaces)
    .filter(([, list]) => (list ?? []).some((a) => !a.internal))
    .map(([name]) => name);
  return names.length
    ? `this machine's interfaces are ${names.join(", ")}`
    : "this machine has only loopback";
}

/** One finding as `check` prints its errors: file:line:column: warning: key: what, then the hint. */
export function formatFinding(f: LocalNetworkFinding, severity: "error" | "warning"): string {
  return `${f.at.file}:${f.at.line}:${f.at.column}: ${severity}: ${f.path}: ${f.message}\n  hint: ${f.hint}`;
}
