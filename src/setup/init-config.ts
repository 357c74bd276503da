/**
 * `bootfleet init`: a config for the machine it runs on. It picks the
 * interface and subnet (choose-interface.ts), asks the segment whether a DHCP
 * server already answers there when the administrator agrees (probe-dhcp.ts),
 * chooses proxy or full mode from that, writes the file, and says what to run
 * next. The machine's facts, the prompt, the probe and the disk are handed
 * in, so every path runs in a unit test.
 */
import { resolve, sep } from "node:path";
import { loadConfigFromString } from "../config/load-config.js";
import type { FleetConfig } from "../config/model.js";
import { choosePool } from "./choose-pool.js";
import { chooseInterface, type InterfaceChoice, type InterfaceTable } from "./choose-interface.js";
import type { DefaultRoute } from "./default-routes.js";
import { FIRST_IMAGE, type InitPlan, initConfigText } from "./init-config-text.js";
import type { DhcpProbeResult } from "./probe-dhcp.js";
import { SetupError } from "./setup-error.js";

export interface InitOptions {
  /** The config file to write. */
  readonly file: string;
  /** --interface; otherwise the default route's. */
  readonly interfaceName?: string | undefined;
  /** "yes": --probe; "no": --no-probe, or no terminal to ask at; "ask": a terminal and neither flag. */
  readonly probe: "yes" | "no" | "ask";
  /** --mode: the administrator knows; nothing is probed. */
  readonly mode?: "full" | "proxy" | undefined;
  readonly force: boolean;
  /** How long the probe listens for OFFERs. */
  readonly probeWaitMs: number;
  /** --data-dir; otherwise /var/lib/bootfleet for a config under /etc, ./var beside any other. */
  readonly dataDir?: string | undefined;
}

export interface InitDeps {
  readonly interfaces: InterfaceTable;
  readonly routes: readonly DefaultRoute[];
  /** DNS servers for full mode's clients (nameservers.ts). */
  readonly nameservers: readonly string[];
  readonly exists: (file: string) => boolean;
  readonly write: (file: string, text: string) => void;
  /** A yes/no question at the terminal. */
  readonly confirm: (question: string) => Promise<boolean>;
  readonly probe: (address: string, mac: string, waitMs: number) => Promise<DhcpProbeResult>;
  /** Progress for the administrator (stderr). */
  readonly say: (line: string) => void;
  readonly now: Date;
}

export interface InitResult {
  readonly file: string;
  /** The written config as serve will load it. */
  readonly config: FleetConfig;
  readonly plan: InitPlan;
  readonly text: string;
}

export async function initConfig(o: InitOptions, d: InitDeps): Promise<InitResult> {
  // Before anything goes on the wire: a refusal must not cost a probe.
  if (d.exists(o.file) && !o.force)
    throw new SetupError(
      `${o.file} already exists`,
      "pass --force to overwrite it, or -c OTHER-FILE to write another one",
    );
  const iface = chooseInterface(d.interfaces, d.routes, o.interfaceName);
  const routers = iface.gateway ? [iface.gateway] : [];
  const pool = choosePool(iface.address, iface.prefix, routers);
  const { mode, why } = await chooseMode(o, d, iface, pool.length > 0);
  const plan: InitPlan = {
    file: o.file,
    iface,
    mode,
    why,
    pool,
    routers,
    dns: d.nameservers,
    dataDir: o.dataDir ?? (resolve(o.file).startsWith(`/etc${sep}`) ? "/var/lib/bootfleet" : "./var"),
    date: d.now.toISOString().slice(0, 10),
  };
  const text = initConfigText(plan);
  // What init writes, check accepts: a failure here is a bug in init, and
  // the loader's message says which line.
  const config = loadConfigFromString(text, o.file);
  d.write(o.file, text);
  return { file: o.file, config, plan, text };
}

async function chooseMode(
  o: InitOptions,
  d: InitDeps,
  iface: InterfaceChoice,
  hasPool: boolean,
): Promise<{ mode: "full" | "proxy"; why: string[] }> {
  const safe = [
    "proxyDHCP never hands out addresses, so it is safe beside a DHCP server",
    "nobody saw; if none runs on this segment, set mode: full and uncomment the pool.",
  ];
  if (o.mode === "full" && !hasPool)
    throw new SetupError(
      `${iface.name}'s subnet /${iface.prefix} leaves no room for an address pool`,
      "full mode needs a subnet of /29 or larger; use --mode proxy beside the DHCP server that serves it",
    );
  if (o.mode) return { mode: o.mode, why: [`DHCP ${o.mode}: chosen with --mode; nothing was probed.`] };
  const asked =
    o.probe === "yes" ||
    (o.probe === "ask" &&
      (await d.confirm(
        `Send one DHCPDISCOVER on ${iface.name} to see whether another DHCP server answers there? [Y/n] `,
      )));
  if (!asked)
    return {
      mode: "proxy",
      why: [`DHCP proxy: nothing was probed (init --probe asks ${iface.name} for a DHCP server).`, ...safe],
    };
  const seconds = o.probeWaitMs / 1000;
  d.say(
    `sending one DHCPDISCOVER on ${iface.name} (from ${iface.address}), listening ${seconds} s for offers`,
  );
  const r = await d.probe(iface.address, iface.mac, o.probeWaitMs);
  if (!r.ran) {
    d.say(`could not probe: ${r.reason}`);
    return { mode: "proxy", why: [`DHCP proxy: the probe could not run (${r.reason}).`, ...safe] };
  }
  if (r.offers.length > 0) {
    const servers = r.offers.map((f) => `${f.server} (offered ${f.offered})`).join(", ");
    d.say(`answered: ${servers}`);
    return {
      mode: "proxy",
      why: [
        `DHCP proxy: ${servers} answered a DHCPDISCOVER on ${iface.name},`,
        "so that server keeps handing out addresses and bootfleet adds only the",
        "boot information (proxyDHCP).",
      ],
    };
  }
  d.say(`no DHCP server answered within ${seconds} s`);
  if (!hasPool)
    return {
      mode: "proxy",
      why: [
        `DHCP proxy: no DHCP server answered on ${iface.name}, but its /${iface.prefix} leaves`,
        "no room for a pool; the clients need their addresses from elsewhere.",
      ],
    };
  return {
    mode: "full",
    why: [
      `DHCP full: no DHCP server answered a DHCPDISCOVER on ${iface.name} within ${seconds} s,`,
      "so bootfleet hands out the addresses of the pool below. If a server there",
      "was only down, set mode: proxy before it comes back: two servers would",
      "hand out addresses on one segment.",
    ],
  };
}

/** What to run after init, each command with the file it wrote. */
export function nextSteps(r: InitResult): string {
  const f = shellWord(r.file);
  const i = r.plan.iface;
  return [
    `wrote ${r.file}: ${i.name} ${i.address}/${i.prefix}, DHCP ${r.plan.mode} mode`,
    "next:",
    `  bootfleet check -c ${f}`,
    `  bootfleet image build ${FIRST_IMAGE.name} --from ${FIRST_IMAGE.from} -c ${f}   # as root; debootstrap, a few minutes`,
    `  bootfleet serve -c ${f}   # as root: DHCP, TFTP and syslog use ports below 1024`,
    `then watch the clients boot at http://${r.config.server.address}:${r.config.services.http.port}/`,
    "",
  ].join("\n");
}

function shellWord(text: string): string {
  return /^[A-Za-z0-9_./=:-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
