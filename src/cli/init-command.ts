/**
 * `bootfleet init`: wiring for setup/init-config.ts. This machine's
 * interfaces, routes and resolvers, a yes/no prompt when stdin is a
 * terminal, the DHCP service's own socket binder for the probe, and the disk.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { endianness, networkInterfaces } from "node:os";
import { dirname } from "node:path";
import { createInterface } from "node:readline/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { dgramBinder } from "../services/dhcp/dhcp-udp-socket.js";
import { defaultRoutes } from "../setup/default-routes.js";
import { initConfig, nextSteps } from "../setup/init-config.js";
import { nameservers } from "../setup/nameservers.js";
import { probeDhcp } from "../setup/probe-dhcp.js";

interface InitFlags {
  readonly config?: string;
  readonly interface?: string;
  readonly probe?: boolean;
  readonly mode?: "full" | "proxy";
  readonly force?: boolean;
  readonly wait: number;
  readonly dataDir?: string;
}

export function registerInitCommand(program: Command): void {
  program
    .command("init")
    .description(
      "write a commented config for this machine: its interface and subnet, proxy or full DHCP mode",
    )
    .option("-c, --config <file>", "config file to write (default: $BOOTFLEET_CONFIG or ./bootfleet.yaml)")
    .option("-i, --interface <name>", "the interface the clients are on (default: the default route's)")
    .option("--probe", "send one DHCPDISCOVER on that interface to see whether a DHCP server answers")
    .option("--no-probe", "do not probe, and do not ask (proxy mode unless --mode full)")
    .addOption(new Option("--mode <mode>", "full or proxy, without probing").choices(["full", "proxy"]))
    .option("--wait <seconds>", "how long the probe listens for offers, 0.1 to 30", seconds, 3)
    .option("--data-dir <dir>", "store and images (default: /var/lib/bootfleet under /etc, else ./var)")
    .option("-f, --force", "overwrite the file if it exists")
    .action(async (flags: InitFlags) => {
      const file = flags.config || process.env.BOOTFLEET_CONFIG || "bootfleet.yaml";
      const terminal = process.stdin.isTTY === true && process.stderr.isTTY === true;
      const result = await initConfig(
        {
          file,
          interfaceName: flags.interface,
          probe: flags.probe === true ? "yes" : flags.probe === false || !terminal ? "no" : "ask",
          mode: flags.mode,
          force: flags.force === true,
          probeWaitMs: flags.wait * 1000,
          dataDir: flags.dataDir,
        },
        {
          interfaces: networkInterfaces(),
          routes: defaultRoutes(readOr("/proc/net/route"), endianness()),
          // systemd-resolved's upstream servers; /etc/resolv.conf names only its 127.0.0.53 stub.
          nameservers: nameservers(readOr("/run/systemd/resolve/resolv.conf") || readOr("/etc/resolv.conf")),
          exists: existsSync,
          write: (path, text) => {
            mkdirSync(dirname(path), { recursive: true });
            writeFileSync(path, text, { mode: 0o644 });
          },
          confirm: ask,
          probe: (address, mac, waitMs) => probeDhcp({ address, mac, waitMs, bind: dgramBinder }),
          say: (line) => process.stderr.write(`bootfleet: ${line}\n`),
          now: new Date(),
        },
      );
      process.stdout.write(nextSteps(result));
    });
}

/** The probe's wait: long enough for a slow server (RFC 2131 §4.1 has clients wait seconds), short enough to stay a probe. */
function seconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0.1 || n > 30) throw new InvalidArgumentError("give seconds from 0.1 to 30");
  return n;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return !/^\s*n/i.test(await rl.question(question));
  } finally {
    rl.close();
  }
}
