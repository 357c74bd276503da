/**
 * The DHCP interop tests' network: the server's namespace (TestNetwork:
 * bridge br0 with 198.18.10.1/24, and br1 with 198.18.11.1/24 when asked),
 * client namespaces each joined to a bridge by a veth with no address, the
 * DHCP server started with test/interop/dhcp-server-main.ts, and waiting on
 * log files. Only 198.18.10.0/24 and 198.18.11.0/24 are used (the DHCP
 * tests' own ranges, apart from other interop tests'), unless a test gives
 * br0 another address (the relay test: 198.18.12.1/24). close() kills what was started, by PID, and deletes every
 * namespace, also after a failure.
 */
import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TestNetwork } from "../support/test-network.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Polls a file until `re` matches its text (from `from` on); returns the match. */
export async function waitForText(
  file: string,
  re: RegExp,
  timeoutMs: number,
  from = 0,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, "utf8").slice(from) : "";
    const m = text.match(re);
    if (m) return m;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${re} in ${file}:\n${text.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function textOf(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

export class DhcpLab {
  readonly net: TestNetwork;
  readonly dir: string;
  readonly #clients: string[] = [];
  #server: ChildProcess | null = null;
  #serverRuns = 0;
  #veths = 0;

  constructor(tag: string, segments: 1 | 2, bridgeAddress = "198.18.10.1/24") {
    this.dir = mkdtempSync(join(tmpdir(), `bf-${tag}-`));
    this.net = TestNetwork.create({ tag, bridgeAddress });
    try {
      if (segments === 2) {
        this.net.run("ip", "link", "add", "br1", "type", "bridge");
        this.net.run("ip", "link", "set", "br1", "type", "bridge", "forward_delay", "0", "stp_state", "0");
        this.net.run("ip", "addr", "add", "198.18.11.1/24", "dev", "br1");
        this.net.run("ip", "link", "set", "br1", "up");
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * A client namespace on `bridge` with interface `c0` up and no address;
   * returns the namespace. The bridge is in the server's namespace unless
   * `bridgeNs` names another (a segment behind a relay).
   */
  client(tag: string, mac: string, bridge = "br0", bridgeNs = this.net.ns): string {
    const ns = `${this.net.ns}-${tag}`.slice(0, 40);
    execFileSync("ip", ["netns", "add", ns]);
    this.#clients.push(ns);
    const v = `vc${this.#veths++}`;
    this.inNs(bridgeNs, "ip", "link", "add", v, "type", "veth", "peer", "name", "c0", "netns", ns);
    this.inNs(bridgeNs, "ip", "link", "set", v, "master", bridge, "up");
    this.inNs(ns, "ip", "link", "set", "lo", "up");
    this.inNs(ns, "ip", "link", "set", "c0", "address", mac, "up");
    return ns;
  }

  inNs(ns: string, cmd: string, ...args: string[]): string {
    return execFileSync("ip", ["netns", "exec", ns, cmd, ...args], { encoding: "utf8", stdio: "pipe" });
  }

  /** Writes the config; returns its path. */
  writeConfig(yaml: string): string {
    const file = join(this.dir, "bootfleet.yaml");
    writeFileSync(file, yaml);
    return file;
  }

  /** Starts (or restarts) the DHCP server with the SQLite store in the lab folder; resolves when it listens. */
  async startServer(config: string, extraArgs: readonly string[] = []): Promise<string> {
    const log = join(this.dir, `server-${this.#serverRuns++}.log`);
    this.#server = this.net.spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(root, "test/interop/dhcp-server-main.ts"),
        "--config",
        config,
        "--db",
        join(this.dir, "bootfleet.db"),
        ...extraArgs,
      ],
      log,
      { cwd: root },
    );
    await waitForText(log, /^READY /m, 30_000);
    return log;
  }

  /** kill -9 of the server process (by PID), as a crash would. */
  async killServer(): Promise<void> {
    const s = this.#server;
    if (!s?.pid) return;
    const exited = new Promise((r) => s.once("exit", r));
    process.kill(s.pid, "SIGKILL");
    await exited;
    this.#server = null;
  }

  /** A client script for dhclient (-sf) or udhcpc (-s) that logs each event and sets only the address. */
  clientScript(name: string, kind: "dhclient" | "udhcpc"): { script: string; log: string } {
    const script = join(this.dir, `${name}.sh`);
    const log = join(this.dir, `${name}.events`);
    const body =
      kind === "dhclient"
        ? `echo "$reason $new_ip_address" >> ${log}
case "$reason" in BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/24" dev "$interface" ;; EXPIRE|RELEASE|STOP) ip addr flush dev "$interface" ;; esac`
        : `echo "$1 $ip" >> ${log}
case "$1" in bound|renew) ip addr replace "$ip/24" dev "$interface" ;; deconfig) ip addr flush dev "$interface" ;; esac`;
    // Never the distribution's scripts: they would rewrite the host's /etc/resolv.conf.
    writeFileSync(script, `#!/bin/sh\n${body}\nexit 0\n`, { mode: 0o755 });
    return { script, log };
  }

  close(): void {
    this.net.close();
    for (const ns of this.#clients) spawnSync("ip", ["netns", "del", ns]);
    this.#clients.length = 0;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
