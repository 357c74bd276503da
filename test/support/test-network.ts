/**
 * A private network for a test: one network namespace holding a bridge
 * (198.18.x.1/24 by default) and taps for QEMU, plus the processes the test
 * starts inside it. `close()` kills those processes by PID and deletes the
 * namespace (which removes its bridge, taps and veths); call it in a
 * `finally`/`after`, so nothing is left behind on failure either.
 *
 * Traffic stays inside: the namespace has no route out, and the only
 * addresses used are the ones given (198.18.0.0/15, RFC 2544).
 */
import { type ChildProcess, execFileSync, spawn, type SpawnOptions } from "node:child_process";
import { createWriteStream } from "node:fs";

let counter = 0;

export interface TestNetworkOptions {
  /** Short tag in the namespace name: bf-<tag>-<pid>-<n>. */
  readonly tag: string;
  /** The bridge's address with prefix; default 198.18.0.1/24. */
  readonly bridgeAddress?: string | undefined;
}

export class TestNetwork {
  readonly ns: string;
  readonly bridge = "br0";
  readonly #children = new Set<ChildProcess>();
  readonly #extraNs: string[] = [];
  #taps = 0;

  private constructor(ns: string) {
    this.ns = ns;
  }

  static create(opts: TestNetworkOptions): TestNetwork {
    const ns = `bf-${opts.tag}-${process.pid}-${counter++}`;
    ip("netns", "add", ns);
    const net = new TestNetwork(ns);
    try {
      net.run("ip", "link", "set", "lo", "up");
      net.run("ip", "link", "add", net.bridge, "type", "bridge");
      // No STP delay: a tap must forward the moment QEMU opens it.
      net.run("ip", "link", "set", net.bridge, "type", "bridge", "forward_delay", "0", "stp_state", "0");
      net.run("ip", "addr", "add", opts.bridgeAddress ?? "198.18.0.1/24", "dev", net.bridge);
      net.run("ip", "link", "set", net.bridge, "up");
    } catch (e) {
      net.close();
      throw e;
    }
    return net;
  }

  /** Runs a command inside the namespace and returns its stdout; throws with stderr on failure. */
  run(cmd: string, ...args: string[]): string {
    return execFileSync("ip", ["netns", "exec", this.ns, cmd, ...args], { encoding: "utf8", stdio: "pipe" });
  }

  /** A tap on the bridge for a QEMU NIC; returns its name. */
  addTap(): string {
    const tap = `tap${this.#taps++}`;
    this.run("ip", "tuntap", "add", "dev", tap, "mode", "tap");
    this.run("ip", "link", "set", tap, "master", this.bridge);
    this.run("ip", "link", "set", tap, "up");
    return tap;
  }

  /**
   * A second namespace joined to the bridge by a veth pair, with `address`
   * (e.g. 198.18.0.2/24) on its end: another host on the same wire, such as
   * an existing DHCP server.
   */
  addHost(tag: string, address: string): string {
    const ns = `${this.ns}-${tag}`.slice(0, 40);
    ip("netns", "add", ns);
    this.#extraNs.push(ns);
    const a = `v${this.#extraNs.length}a`;
    const b = `v${this.#extraNs.length}b`;
    this.run("ip", "link", "add", a, "type", "veth", "peer", "name", b);
    this.run("ip", "link", "set", b, "netns", ns);
    this.run("ip", "link", "set", a, "master", this.bridge);
    this.run("ip", "link", "set", a, "up");
    execFileSync("ip", ["netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
    execFileSync("ip", ["netns", "exec", ns, "ip", "addr", "add", address, "dev", b]);
    execFileSync("ip", ["netns", "exec", ns, "ip", "link", "set", b, "up"]);
    return ns;
  }

  /** Starts a long-running process inside `ns` (default: this network's), output to `logFile`. */
  spawn(
    cmd: string,
    args: readonly string[],
    logFile: string,
    opts: SpawnOptions & { ns?: string } = {},
  ): ChildProcess {
    const out = createWriteStream(logFile);
    const child = spawn("ip", ["netns", "exec", opts.ns ?? this.ns, cmd, ...args], {
      ...opts,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    this.#children.add(child);
    child.on("exit", () => this.#children.delete(child));
    return child;
  }

  /** Kills what this network started (by PID) and removes its namespaces. Safe to call twice. */
  close(): void {
    for (const c of this.#children) {
      try {
        if (c.pid) process.kill(c.pid, "SIGKILL");
      } catch {}
    }
    this.#children.clear();
    for (const ns of [...this.#extraNs, this.ns]) {
      try {
        ip("netns", "del", ns);
      } catch {}
    }
    this.#extraNs.length = 0;
  }
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}
