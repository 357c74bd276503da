/**
 * The text of a first-run config: the same keys and comment style as
 * examples/bootfleet.yaml, with a header that says what was found on this
 * machine and why each choice was made, so an administrator can read the
 * file and know what to change.
 */
import { ipv4ToNumber, numberToIpv4 } from "../protocols/ipv4-address.js";
import type { InterfaceChoice } from "./choose-interface.js";

/** The image a first-run config boots, and how `bootfleet image build` makes it. */
export const FIRST_IMAGE = {
  name: "debian",
  from: "debootstrap:bookworm",
  description: "Debian 12",
} as const;

export interface InitPlan {
  /** The file as the administrator named it, for the header's check command. */
  readonly file: string;
  readonly iface: InterfaceChoice;
  readonly mode: "full" | "proxy";
  /** Why this mode, one comment line each. */
  readonly why: readonly string[];
  /** Full mode's pool; in proxy mode written commented out, ready for a switch. Empty: the subnet has no room. */
  readonly pool: readonly string[];
  readonly routers: readonly string[];
  readonly dns: readonly string[];
  /** As written in the file: relative to it, or absolute. */
  readonly dataDir: string;
  /** YYYY-MM-DD, for the header. */
  readonly date: string;
}

export function initConfigText(plan: InitPlan): string {
  const { iface } = plan;
  const subnet = subnetOf(iface.address, iface.prefix);
  const out: string[] = [
    `# bootfleet config for this machine, written by \`bootfleet init\` on ${plan.date}.`,
    `# \`bootfleet check -c ${plan.file}\` validates it after every edit;`,
    "# README.md describes every key.",
    "#",
    `# Served on ${iface.name} (${iface.address}/${iface.prefix}): ${iface.reason}.`,
  ];
  for (const o of iface.others)
    out.push(
      `# Also here: ${o.name} (${o.address}/${o.prefix}); \`bootfleet init -c ${plan.file} --interface ${o.name} --force\` serves it instead.`,
    );
  out.push("#", ...plan.why.map((l) => `# ${l}`), "");
  out.push(
    "server:",
    line(`  address: ${iface.address}`, `the address clients reach: ${iface.name}'s`),
    line(`  interfaces: [${yamlWord(iface.name)}]`, "DHCP answers on these only"),
    line(
      `  data_dir: ${yamlWord(plan.dataDir)}`,
      `store, images, generated files${plan.dataDir.startsWith("/") ? "" : " (relative to this file)"}`,
    ),
    "",
    "services:",
    line(`  dhcp: { mode: ${plan.mode} }`, "full | proxy | off"),
    "  # tftp, http, nbd and syslog run on their standard ports; README.md lists",
    "  # the keys that change them.",
    "",
    "images:",
    `  # Build it with: bootfleet image build ${FIRST_IMAGE.name} --from ${FIRST_IMAGE.from}`,
    `  ${FIRST_IMAGE.name}:`,
    `    description: ${FIRST_IMAGE.description} for the clients`,
    "",
    "networks:",
    `  - subnet: ${subnet}`,
  );
  const pool = plan.pool.length === 1 ? plan.pool[0]! : `[${plan.pool.join(", ")}]`;
  if (plan.pool.length === 0)
    out.push(
      `    # no pool: a /${iface.prefix} leaves no room for one, so full mode cannot hand out addresses here`,
    );
  else if (plan.mode === "full") {
    out.push(
      line(`    pool: ${pool}`, `handed out; not ${[iface.address, ...plan.routers].join(" or ")}`),
      "    # (no machine here may have a fixed address inside the pool)",
    );
  } else out.push(line(`    # pool: ${pool}`, "used only in full mode"));
  if (plan.mode === "full") {
    if (plan.routers.length) out.push(`    routers: [${plan.routers.join(", ")}]`);
    else out.push("    # routers: [...]             # none found: clients get no default route");
    if (plan.dns.length) out.push(`    dns: [${plan.dns.join(", ")}]`);
    else out.push("    # dns: [...]                 # none found in resolv.conf: clients get no DNS server");
  }
  out.push(
    "",
    "defaults:",
    `  image: ${FIRST_IMAGE.name}`,
    line("  boot_unknown: true", "boot machines not listed under hosts: too"),
    "",
    "# hosts:                        # one entry per machine that needs its own settings",
    "#   lab1-01:",
    '#     mac: "52:54:00:12:34:56"',
    "",
  );
  return out.join("\n");
}

/** The subnet of an address as the config writes it: 192.168.1.0/24. */
export function subnetOf(address: string, prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `${numberToIpv4(((ipv4ToNumber(address) ?? 0) & mask) >>> 0)}/${prefix}`;
}

/** A value with a comment lined up at column 32, as in examples/bootfleet.yaml. */
function line(value: string, comment: string): string {
  return `${value.padEnd(30)} # ${comment}`;
}

/** Interface names and paths are plain YAML words unless they hold a character YAML reads otherwise. */
function yamlWord(text: string): string {
  return /^[A-Za-z0-9_./][A-Za-z0-9_./-]*$/.test(text) ? text : JSON.stringify(text);
}
