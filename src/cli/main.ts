#!/usr/bin/env node
/**
 * `bootfleet <verb>`: thin wiring over the same modules the server uses.
 * Every verb has --help; errors name the file, the line, and what to do.
 */
import { Command, Option } from "commander";
import { ConfigError } from "../config/config-error.js";
import { explainMachine, formatExplanation } from "../config/explain-machine.js";
import { normalizeMac, parseIpv4 } from "../config/net-address.js";
import { FleetResolver } from "../config/resolve-machine.js";
import { describeChain } from "../boot/describe-chain.js";
import { DEBIAN_GRUB_BINARIES } from "../boot/grub-files.js";
import { DEFAULT_IPXE_DIR } from "../config/config-schema.js";
import { FleetBootPlanner } from "../boot/fleet-boot-planner.js";
import { loaderBootLine } from "../boot/loader-boot-line.js";
import { showUnresolved, UnresolvedImageLookup } from "../boot/unresolved-image-lookup.js";
import type { BootPlan } from "../boot/boot-plan.js";
import { ImageCatalog } from "../images/image-catalog.js";
import { catalogImageLookup } from "../server/catalog-adapters.js";
import { formatFinding } from "../setup/local-network-check.js";
import { configPath, loadFleetConfig } from "./config-option.js";
import { localNetworkFindings } from "./local-network-report.js";
import { storedOverrides } from "./stored-overrides.js";

const program = new Command();
program
  .name("bootfleet")
  .description("Network-boot server for fleets of diskless and thin-client machines")
  .version("0.1.0")
  .showHelpAfterError("(run with --help for usage)");

const configOption = () =>
  new Option("-c, --config <file>", "config file (default: $BOOTFLEET_CONFIG or ./bootfleet.yaml)");

program
  .command("check")
  .description("validate the config; exit 1 listing every error with file:line:column")
  .addOption(configOption())
  .action(async (opts: { config?: string }) => {
    const config = await loadFleetConfig(opts.config);
    const images = Object.keys(config.images);
    for (const f of localNetworkFindings(config, configPath(opts.config)))
      process.stderr.write(`${formatFinding(f, "warning")}\n`);
    process.stdout.write(
      `${configPath(opts.config)}: ok — ${config.networks.length} network(s), ${config.groups.length} group(s), ` +
        `${config.hosts.length} host(s), ${images.length} image(s) declared; DHCP ${config.services.dhcp.mode}\n`,
    );
  });

program
  .command("explain")
  .description("show a machine's effective settings and where each comes from (MAC, hostname or IP)")
  .argument("<machine>", "MAC address, hostname or IP address")
  .addOption(configOption())
  .option("--json", "print JSON")
  .option(
    "--arch <n>",
    "PXE client architecture to plan for (0 BIOS, 7 UEFI x64, 11 ARM64, 16 UEFI x64 HTTP boot)",
    (v) => Number(v),
  )
  .option("--ipxe", "plan as if iPXE is already running")
  .option(
    "--network <cidr>",
    "for an undeclared MAC: plan as a dynamic client of this declared network (as a relay in it would forward)",
  )
  .action(
    async (
      machine: string,
      opts: { config?: string; json?: boolean; arch?: number; ipxe?: boolean; network?: string },
    ) => {
      const config = await loadFleetConfig(opts.config);
      // Images set through the API are the last layer: show what the server would do.
      const overrides = await storedOverrides(config, (m) =>
        process.stderr.write(`bootfleet: warning: ${m}\n`),
      );
      const resolver = new FleetResolver(config, overrides);
      const host = resolver.findHost(machine);
      // A host declared without a MAC (matched by name or address) resolves
      // with no MAC: MAC globs do not match it, as on the wire before its
      // first request.
      const mac = host ? (host.mac ?? "") : normalizeMac(machine);
      if (mac === null || mac === undefined) {
        const kind = parseIpv4(machine) !== null ? "address" : "name";
        fail(
          `no declared host has the ${kind} '${machine}'`,
          "give the machine's MAC address (explain works for undeclared machines by MAC), or declare it under hosts:",
        );
      }
      // A request for a network carries that network's address in giaddr
      // (RFC 2131 §4.3.1), which is how the resolver finds the network of
      // a client with no address yet.
      const network = opts.network ? config.networks.find((n) => n.subnet.text === opts.network) : undefined;
      if (opts.network && (!network || host))
        fail(
          network
            ? `'${machine}' is a declared host; --network is for undeclared machines`
            : `no network ${opts.network} is declared`,
          network
            ? "leave out --network"
            : `give a subnet from networks: (${config.networks.map((n) => n.subnet.text).join(", ") || "none"})`,
        );
      const relay = network ? network.subnet.text.split("/")[0] : undefined;
      const facts = { mac, ip: host?.ip, hostname: host?.name, arch: opts.arch, ipxe: opts.ipxe, relay };
      const resolved = resolver.resolve(facts);
      // The first stages serve hands out, so explain names the same chain (GRUB for ARM64 without iPXE's build).
      const images = catalogImageLookup(new ImageCatalog(config.server.data_dir));
      const plannerFor = (lookup: typeof images) =>
        new FleetBootPlanner({
          config,
          resolver,
          images: lookup,
          ipxeDir: DEFAULT_IPXE_DIR,
          grubBinaries: DEBIAN_GRUB_BINARIES,
        });
      const decision = plannerFor(images).decide({ ...facts, arch: facts.arch ?? 0 });
      // The same planner again, with images that have no built version yet
      // standing in as <current>: what the machine will boot once they are
      // built, which is what an import must be checked against.
      const unresolved = new UnresolvedImageLookup(images);
      const planned = plannerFor(unresolved).decide({ ...facts, arch: facts.arch ?? 0 });
      const boot = decision.plan
        ? {
            nextServer: decision.plan.dhcp.nextServer,
            bootFile: decision.plan.dhcp.bootFile,
            options: Object.fromEntries(
              [...decision.plan.dhcp.options].map(([code, v]) => [String(code), printable(v)]),
            ),
          }
        : null;
      const explanation = {
        ...explainMachine(resolved),
        ...(decision.plan ? { chain: describeChain(decision.plan) } : {}),
        boot,
        ...(decision.plan ? {} : { not_booted: decision.reason }),
        plan: planned.plan ? planSummary(planned.plan, unresolved.standIns) : null,
      };
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(explanation, null, 2)}\n`
          : formatExplanation(explanation) + formatPlan(explanation.plan),
      );
    },
  );

interface PlanSummary {
  /** Images with no built version: the plan shows them as <image>/<current>. */
  readonly unresolved: readonly string[];
  readonly chain: string;
  readonly loader: BootPlan["chain"]["loader"];
  readonly next_server: string;
  readonly boot_file: string;
  /** DHCP options sent with it, by code (as `boot.options`). */
  readonly options: Readonly<Record<string, string>>;
  /** The generated config the loader reads next. */
  readonly config: string;
  readonly image: string;
  readonly kernel: string | null;
  readonly initrds: readonly string[];
  readonly cmdline: string | null;
  readonly warnings: readonly string[];
}

/** The chain and the default entry's kernel line, as the loader will get them once every image is built. */
function planSummary(plan: BootPlan, standIns: readonly string[]): PlanSummary {
  const show = (text: string): string => (standIns.length > 0 ? showUnresolved(text) : text);
  const line = loaderBootLine(plan);
  const entry = plan.entries[0]!;
  return {
    unresolved: standIns,
    chain: show(describeChain(plan)),
    loader: plan.chain.loader,
    next_server: plan.chain.nextServer,
    boot_file: show(plan.chain.bootFile),
    options: Object.fromEntries([...plan.dhcp.options].map(([code, v]) => [String(code), printable(v)])),
    config: plan.chain.configPath,
    image: show(`${entry.image.name}@${entry.image.version}`),
    kernel: line ? show(line.kernel) : null,
    initrds: line ? line.initrds.map(show) : [],
    cmdline: line ? show(line.cmdline) : null,
    warnings: plan.warnings.map(show),
  };
}

function formatPlan(plan: PlanSummary | null): string {
  if (plan === null) return "";
  const lines = [
    "",
    `plan     ${plan.chain}`,
    `         next-server ${plan.next_server}  file ${plan.boot_file}  then ${plan.config} (${plan.loader})`,
    `         kernel ${plan.kernel ?? "(none)"}`,
    ...plan.initrds.map((f) => `         initrd ${f}`),
    `         cmdline ${plan.cmdline ?? "(none)"}`,
  ];
  if (plan.unresolved.length > 0)
    lines.push(
      `         not built yet: ${plan.unresolved.join(", ")} (bootfleet image build, then image use)`,
    );
  return `${lines.join("\n")}\n`;
}

/** An option payload as text when it is text, else hex. */
function printable(v: Buffer): string {
  return /^[\x20-\x7e]*$/.test(v.toString("latin1")) ? v.toString("latin1") : `0x${v.toString("hex")}`;
}

function fail(message: string, hint?: string): never {
  process.stderr.write(`bootfleet: ${message}\n${hint ? `  hint: ${hint}\n` : ""}`);
  process.exit(1);
}

export async function main(argv: readonly string[]): Promise<void> {
  const { registerRuntimeCommands } = await import("./runtime-commands.js");
  const { registerFleetCommands } = await import("./fleet-commands.js");
  const { registerImageCommands } = await import("./image-command.js");
  const { registerMigrateCommands } = await import("./migrate-command.js");
  const { registerInitCommand } = await import("./init-command.js");
  registerRuntimeCommands(program, configOption);
  registerFleetCommands(program, configOption);
  registerImageCommands(program, loadFleetConfig, configOption);
  registerMigrateCommands(program, loadFleetConfig);
  registerInitCommand(program);
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n${e.problems.length} error(s); nothing was changed.\n`);
      process.exit(1);
    }
    const err = e as Error & { code?: string; hint?: string };
    fail(err.message, err.hint);
  }
}

await main(process.argv);
