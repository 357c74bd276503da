/**
 * bootfleet as a user runs it for the storm: `node dist/src/cli/main.js
 * serve -c bootfleet.yaml` (the built program), full DHCP, SQLite store in
 * the image's data folder, every service at its defaults, every machine
 * unknown (boot_unknown), all booting the storm image.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestNetwork } from "../../test/support/test-network.js";
import { waitForStart } from "../support/wait-for-start.js";
import type { StormImage } from "./storm-image.js";
import type { StormNetwork } from "./storm-network.js";
import type { StormStack } from "./storm-stack.js";

export async function startBootfleetStack(
  net: TestNetwork,
  dir: string,
  repoRoot: string,
  image: StormImage,
  nets: StormNetwork,
  extraNodeArgs: readonly string[] = [],
): Promise<StormStack> {
  const config = join(dir, "bootfleet.yaml");
  writeFileSync(
    config,
    `server: { address: ${nets.server}, data_dir: ${image.dataDir} }
services:
  dhcp: { mode: full, lease_time: 3600 }
networks:
  - subnet: ${nets.subnet}
    pool: ${nets.poolFirst}-${nets.poolLast}
    routers: [${nets.server}]
defaults: { image: ${image.name}, boot_unknown: true }
`,
  );
  const log = join(dir, "serve.log");
  const child: ChildProcess = net.spawn(
    process.execPath,
    [...extraNodeArgs, join(repoRoot, "dist/src/cli/main.js"), "serve", "-c", config],
    log,
    { cwd: dir },
  );
  const ready = () => {
    if (child.exitCode !== null || !existsSync(log)) return false;
    const text = readFileSync(log, "utf8");
    return /dhcp \(full\) listening/.test(text) && /nbd: listening/.test(text) && /http/.test(text);
  };
  await waitForStart("bootfleet serve", log, ready, 60_000);
  const pid = child.pid!;
  return {
    name: "bootfleet",
    pids: [pid],
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      // SIGINT: a --cpu-prof run writes its profile on a clean exit.
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
