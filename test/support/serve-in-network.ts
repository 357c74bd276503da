/** `bootfleet serve` inside a test network, and its stored events, as the whole-boot tests use them. */
import { type ChildProcess, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import type { TestNetwork } from "./test-network.js";

/**
 * Starts `bootfleet serve -c config` in `net` (or in `opts.ns`, a host added
 * to it) and waits until its HTTP service at `server`:8080 answers. Returns
 * the serve process itself (`ip netns exec` execs it: same PID), for tests
 * that stop or kill it.
 */
export async function startServeInNetwork(
  net: TestNetwork,
  server: string,
  config: string,
  log: string,
  opts: { readonly ns?: string } = {},
): Promise<ChildProcess> {
  const child = net.spawn(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), "serve", "-c", config],
    log,
    { cwd: REPO_ROOT, ...(opts.ns ? { ns: opts.ns } : {}) },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if (opts.ns)
        execFileSync(
          "ip",
          [
            "netns",
            "exec",
            opts.ns,
            "curl",
            "-sf",
            "-o",
            "/dev/null",
            `http://${server}:8080/api/v1/machines`,
          ],
          { stdio: "pipe" },
        );
      else net.run("curl", "-sf", "-o", "/dev/null", `http://${server}:8080/api/v1/machines`);
      return child;
    } catch {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `bootfleet serve exited (${child.exitCode ?? child.signalCode}):\n${readFileSync(log, "utf8")}`,
        );
      if (Date.now() > deadline)
        throw new Error(`bootfleet serve did not come up:\n${readFileSync(log, "utf8")}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** One event as `bootfleet events --json` prints it. */
export interface StoredEvent {
  readonly type: string;
  readonly mac: string | null;
  readonly ip: string | null;
  readonly stage: string | null;
  readonly detail: Record<string, unknown> | null;
}

/** The server's stored events (the last 1000), read through the CLI as an administrator would; `mac` filters. */
export function storedEvents(config: string, mac?: string): StoredEvent[] {
  const out = execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(REPO_ROOT, "src/cli/main.ts"),
      "events",
      "--json",
      "-n",
      "1000",
      ...(mac ? ["--machine", mac] : []),
      "-c",
      config,
    ],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  return out
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StoredEvent);
}
