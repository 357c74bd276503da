/** `bootfleet serve` inside a test network, as the whole-boot tests run it. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import type { TestNetwork } from "./test-network.js";

/** Starts `bootfleet serve -c config` in `net` and waits until its HTTP service at `server`:8080 answers. */
export async function startServeInNetwork(
  net: TestNetwork,
  server: string,
  config: string,
  log: string,
): Promise<void> {
  net.spawn(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), "serve", "-c", config],
    log,
    { cwd: REPO_ROOT },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      net.run("curl", "-sf", "-o", "/dev/null", `http://${server}:8080/api/v1/machines`);
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`bootfleet serve did not come up:\n${readFileSync(log, "utf8")}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
