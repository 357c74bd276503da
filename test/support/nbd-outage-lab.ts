/**
 * A running client and servers that go away: what the NBD reconnect tests
 * (test/e2e/nbd-reconnect.test.ts) and the outage benchmark
 * (bench/nbd-reconnect/) share.
 *
 * A busybox image with Debian's kernel and sets of random files (never read
 * at boot, so reading them later has to go to the server) is built; a PC
 * (SeaBIOS + QEMU's iPXE ROM, TCG) boots it from `bootfleet serve` run as
 * users run it, with full DHCP, in a namespace of its own (198.18.70.0/24).
 * The image's init does not power off: it takes commands from a control
 * channel that is not bootfleet (busybox httpd serving numbered files on
 * 198.18.70.1:9000), so the test can drop the client's caches, read files
 * and print the kernel log while bootfleet is down, restarted or gone.
 * A second server (198.18.70.2, its own namespace on the same bridge,
 * a copy of the first's image store, DHCP off) is there for failover.
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { buildImage } from "../../src/images/build-image.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { ensureDebianKernel, REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import { QemuMachine } from "./qemu-machine.js";
import { requirePeers } from "./require-peers.js";
import { startServeInNetwork } from "./serve-in-network.js";
import { TestNetwork } from "./test-network.js";

export const SUBNET = "198.18.70";
export const SERVER_1 = `${SUBNET}.1`;
export const SERVER_2 = `${SUBNET}.2`;
export const IMAGE = "outage";
export const MAC = "52:54:00:70:00:01";

/** Kernel log lines that mean an I/O error reached a reader or a filesystem. */
export const IO_ERROR = /I\/O error|Buffer I\/O|critical medium error|SQUASHFS error|squashfs.*error/i;

export interface OutageLabOptions {
  /** Names of file sets under /data in the image, e.g. ["a", "b"]. */
  readonly sets: readonly string[];
  readonly filesPerSet?: number | undefined;
  readonly fileBytes?: number | undefined;
  /** Extra kernel command line for the client (a layer's kernel_args). */
  readonly kernelArgs?: string | undefined;
  /** List both servers in the layer's `servers:` (default true). */
  readonly twoServers?: boolean | undefined;
  /** More keys for the config's `defaults:` layer, as YAML lines indented by two spaces. */
  readonly layer?: string | undefined;
  /** The lab's /24, as its first three octets (default SUBNET): each test file its own. */
  readonly subnet?: string | undefined;
  readonly tag: string;
}

export class OutageLab {
  readonly work: string;
  readonly net: TestNetwork;
  readonly subnet: string;
  readonly server1: string;
  readonly server2: string;
  /** path in the client's root -> sha256 (hex) of the image's file. */
  readonly digests = new Map<string, string>();
  readonly sets = new Map<string, string[]>();
  #serve1: ChildProcess | undefined;
  #host2: string | undefined;
  #vm: QemuMachine | undefined;
  #cmd = 0;
  #serveRuns = 0;

  private constructor(work: string, net: TestNetwork, subnet: string) {
    this.work = work;
    this.net = net;
    this.subnet = subnet;
    this.server1 = `${subnet}.1`;
    this.server2 = `${subnet}.2`;
  }

  /** The control channel: busybox httpd on the first server's address, not bootfleet. */
  get #control(): string {
    return `${this.server1}:9000`;
  }

  /** Builds the image and the network; nothing runs yet. close() undoes it, also after a failure. */
  static async create(o: OutageLabOptions): Promise<OutageLab> {
    requirePeers(["qemu-system-x86_64", "ip", "mksquashfs", "busybox", "curl", "nbd-client", "gcc"], {
      root: true,
    });
    // The hook takes bootfleet-nbd from the build; without it the image's
    // clients would use nbd-client and this lab would test nothing.
    execFileSync(process.execPath, [join(REPO_ROOT, "scripts/build-client-helpers.mjs")], {
      stdio: "inherit",
    });
    if (!existsSync(join(REPO_ROOT, "native/build/client/x86_64/bootfleet-nbd")))
      throw new Error(
        "no native/build/client/x86_64/bootfleet-nbd: install gcc and libc6-dev, then 'npm run build'",
      );
    const work = mkdtempSync(join(tmpdir(), `bf-${o.tag}-`));
    let net: TestNetwork | undefined;
    try {
      const kernel = ensureDebianKernel();
      const root = join(work, "root");
      mkdirSync(root);
      await makeBusyboxRoot(root, {
        token: "TOKEN-OUTAGE",
        vmlinuz: kernel.vmlinuz,
        kernelVersion: kernel.version,
      });
      const subnet = o.subnet ?? SUBNET;
      writeFileSync(join(root, "sbin/init"), guestInit(`${subnet}.1:9000`), { mode: 0o755 });
      net = TestNetwork.create({ tag: o.tag, bridgeAddress: `${subnet}.1/24` });
      const lab = new OutageLab(work, net, subnet);
      for (const set of o.sets) {
        mkdirSync(join(root, "data", set), { recursive: true });
        const files: string[] = [];
        for (let i = 0; i < (o.filesPerSet ?? 6); i++) {
          const content = randomBytes(o.fileBytes ?? 192 * 1024);
          const path = `/data/${set}/${i}.bin`;
          writeFileSync(join(root, path), content);
          lab.digests.set(path, createHash("sha256").update(content).digest("hex"));
          files.push(path);
        }
        lab.sets.set(set, files);
      }
      await buildImage({ dataDir: join(work, "var1"), name: IMAGE, from: root, modulesFrom: kernel.root });
      rmSync(root, { recursive: true, force: true });
      // The second server holds the same image version: a copy of the store.
      cpSync(join(work, "var1", "images"), join(work, "var2", "images"), { recursive: true });
      lab.#writeConfigs(o.kernelArgs, o.twoServers ?? true, o.layer);
      return lab;
    } catch (e) {
      net?.close();
      rmSync(work, { recursive: true, force: true });
      throw e;
    }
  }

  #writeConfigs(kernelArgs: string | undefined, twoServers: boolean, extra: string | undefined): void {
    const { server1, server2, subnet } = this;
    const layer = `defaults:
  image: ${IMAGE}
  console: ttyS0
${twoServers ? `  servers: [${server1}, ${server2}]\n` : ""}${kernelArgs ? `  kernel_args: "${kernelArgs}"\n` : ""}${extra ? `${extra.trimEnd()}\n` : ""}`;
    writeFileSync(
      join(this.work, "serve1.yaml"),
      `server: { address: ${server1}, data_dir: ${join(this.work, "var1")} }
services:
  dhcp: { mode: full, lease_time: 600 }
  http: { port: 8080 }
networks:
  - subnet: ${subnet}.0/24
    pool: ${subnet}.100-${subnet}.149
    routers: [${server1}]
${layer}`,
    );
    writeFileSync(
      join(this.work, "serve2.yaml"),
      `server: { address: ${server2}, data_dir: ${join(this.work, "var2")} }
services:
  dhcp: { mode: "off" }
  tftp: { enabled: false }
  http: { port: 8080 }
${layer}`,
    );
  }

  /** `bootfleet serve` on the first server (again); resolves when its HTTP service answers. */
  async startServer1(): Promise<void> {
    this.#serve1 = await startServeInNetwork(
      this.net,
      this.server1,
      join(this.work, "serve1.yaml"),
      join(this.work, `serve1-${this.#serveRuns++}.log`),
    );
  }

  /** The second server, in its own namespace on the same bridge. */
  async startServer2(): Promise<void> {
    this.#host2 ??= this.net.addHost("s2", `${this.server2}/24`);
    await startServeInNetwork(
      this.net,
      this.server2,
      join(this.work, "serve2.yaml"),
      join(this.work, "serve2.log"),
      {
        ns: this.#host2,
      },
    );
  }

  /** Stops the first server with `signal` and waits until the process is gone. */
  async stopServer1(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    const child = this.#serve1;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await Promise.race([
      gone,
      sleep(30_000).then(() => Promise.reject(new Error(`serve did not exit on ${signal}`))),
    ]);
  }

  /** Boots the client; resolves when its init takes commands. */
  async boot(timeoutMs = 8 * 60_000): Promise<string> {
    const control = join(this.work, "control");
    mkdirSync(control, { recursive: true });
    this.net.spawn(
      "busybox",
      ["httpd", "-f", "-p", this.#control, "-h", control],
      join(this.work, "httpd.log"),
    );
    this.#vm = QemuMachine.start({
      net: this.net,
      mac: MAC,
      firmware: "bios",
      serialLog: join(this.work, "client.serial"),
      qemuLog: join(this.work, "client.qemu.log"),
    });
    return this.#vm.waitForSerial([/CTRL READY/], timeoutMs);
  }

  serial(): string {
    return this.#vm?.serial() ?? "";
  }

  /**
   * Sends the client's init one command and resolves with its output (the
   * lines between "CMD n <cmd>" and "CMD n DONE") once it is done.
   */
  async command(cmd: string, timeoutMs = 5 * 60_000): Promise<string[]> {
    const n = ++this.#cmd;
    const control = join(this.work, "control");
    writeFileSync(join(control, `${n}.tmp`), cmd);
    execFileSync("mv", [join(control, `${n}.tmp`), join(control, String(n))]);
    const text = await this.#vm!.waitForSerial([new RegExp(`^CMD ${n} DONE`, "m")], timeoutMs);
    const lines = text.split(/\r?\n/);
    const start = lines.findIndex((l) => l.startsWith(`CMD ${n} `));
    const end = lines.findIndex((l) => l.startsWith(`CMD ${n} DONE`));
    return lines.slice(start + 1, end);
  }

  /** Writes the command and returns at once; `waitFor(n)` collects it. */
  send(cmd: string): number {
    const n = ++this.#cmd;
    const control = join(this.work, "control");
    writeFileSync(join(control, `${n}.tmp`), cmd);
    execFileSync("mv", [join(control, `${n}.tmp`), join(control, String(n))]);
    return n;
  }

  async waitFor(n: number, timeoutMs = 5 * 60_000): Promise<void> {
    await this.#vm!.waitForSerial([new RegExp(`^CMD ${n} DONE`, "m")], timeoutMs);
  }

  /** Reads a set's files on the client; returns path -> sha256 as the client computed it. */
  async readSet(set: string): Promise<Map<string, string>> {
    const out = await this.command(`read /data/${set}/*`);
    const got = new Map<string, string>();
    for (const l of out) {
      const m = /^SHA ([0-9a-f]{64}) {2}(\S+)/.exec(l);
      if (m) got.set(m[2]!, m[1]!);
    }
    return got;
  }

  /** The client's kernel log: I/O errors, NBD and bootfleet-nbd lines. */
  async kernelLog(): Promise<string[]> {
    return (await this.command("dmesg")).map((l) => l.replace(/^KMSG /, ""));
  }

  /** Stops everything started (by PID) and removes the namespaces; keeps `work` when asked to. */
  close(keep = false): void {
    this.net.close();
    if (!keep) rmSync(this.work, { recursive: true, force: true });
  }
}

/**
 * The image's /sbin/init: proves the hook's helper survived switch_root,
 * then runs numbered commands from the control channel until told to stop.
 * Every program is busybox, already mapped by this shell, so the loop keeps
 * going while the NBD root has no server (only file reads wait).
 */
function guestInit(control: string): string {
  return `#!/bin/sh
B=/bin/busybox
echo "IMAGE TOKEN TOKEN-OUTAGE"
for p in /proc/[0-9]*; do
  c=$($B tr '\\0' ' ' 2>/dev/null <"$p/cmdline")
  case "$c" in @*bootfleet-nbd*) echo "HELPER ALIVE \${p#/proc/} $c" ;; esac
done
echo "ROOT $($B grep ' / ' /proc/mounts | $B head -n 1)"
echo "CTRL READY"
n=1
while :; do
  # (busybox 1.35's wget -T crashes: timeout(1) bounds it instead.)
  cmd=$($B timeout 5 $B wget -q -O - "http://${control}/$n" 2>/dev/null) || { $B sleep 0.3; continue; }
  echo "CMD $n $cmd"
  case "$cmd" in
    drop) $B sync; echo 3 >/proc/sys/vm/drop_caches ;;
    read\\ *) for f in \${cmd#read }; do $B sha256sum "$f" | $B sed 's/^/SHA /'; done ;;
    dmesg) $B dmesg | $B grep -iE 'error|nbd|squashfs|bootfleet' | $B sed 's/^/KMSG /' ;;
    nbdclient\\ *) set -- \${cmd#nbdclient }; /usr/sbin/nbd-client "$@" 2>&1 | $B sed 's/^/OUT /' ;;
    dd\\ *) set -- \${cmd#dd }; $B dd "$@" of=/dev/null 2>/tmp/dd.err; r=$?; $B sed 's/^/OUT /' /tmp/dd.err; echo "OUT rc=$r" ;;
    sh\\ *) $B sh -c "\${cmd#sh }" >/tmp/sh.out 2>&1; r=$?; $B sed 's/^/OUT /' /tmp/sh.out; echo "OUT rc=$r" ;;
    off) $B poweroff -f ;;
  esac
  echo "CMD $n DONE"
  n=$((n + 1))
done
`;
}
