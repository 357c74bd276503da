/**
 * The lab every whole-boot test stands on: a private network (a namespace
 * with a bridge at the server's address, a /24 in 198.18.0.0/15), a
 * bootfleet config written for it, `bootfleet serve` running in it, virtual
 * PCs on taps of its bridge, and the server's own event store to check what
 * happened. `close()` stops what the lab started (by PID) and removes the
 * namespace; call it in a `finally`/`after`, so a failed boot leaves nothing
 * behind either.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import { recordBootTime } from "./boot-times.js";
import { type Firmware, QemuMachine } from "./qemu-machine.js";
import { type StoredEvent, startServeInNetwork, storedEvents } from "./serve-in-network.js";
import { TestNetwork } from "./test-network.js";

export interface LabConfigOptions {
  /** The server's address, x.y.z.1: the lab's /24 is x.y.z.0/24, its pool .100 to .149. */
  readonly server: string;
  readonly dataDir: string;
  readonly dhcpMode?: "full" | "proxy" | undefined;
  /** Seconds; an emulated ARM64 boot outlasts the usual 600. */
  readonly leaseTime?: number | undefined;
  /** The TFTP root for loaders bootfleet takes from it (shim, GRUB's files); false turns TFTP off. */
  readonly tftp?: string | false | undefined;
  /** The rest of the YAML: defaults, groups, hosts. */
  readonly body: string;
}

/** A whole bootfleet config for one lab network. */
export function labConfig(o: LabConfigOptions): string {
  const net = o.server.replace(/\.\d+$/, "");
  const tftp =
    o.tftp === false ? "  tftp: { enabled: false }\n" : o.tftp ? `  tftp: { root: ${o.tftp} }\n` : "";
  return `server: { address: ${o.server}, data_dir: ${o.dataDir} }
services:
  dhcp: { mode: ${o.dhcpMode ?? "full"}, lease_time: ${o.leaseTime ?? 600} }
${tftp}  http: { port: 8080 }
  syslog: { port: 5514 }
networks:
  - subnet: ${net}.0/24
    pool: ${net}.100-${net}.149
    routers: [${o.server}]
${o.body}`;
}

export interface BootLabOptions {
  /** Short tag in the namespace's name. */
  readonly tag: string;
  /** The test's scratch folder: the config, serve's log and the serial logs go there. */
  readonly work: string;
  /** Names the config and log files, so several labs of one test keep theirs apart. */
  readonly name: string;
  readonly server: string;
  /** The config's text (labConfig). */
  readonly config: string;
}

export interface LabMachineOptions {
  /** Names the serial and QEMU logs in the work folder. */
  readonly name: string;
  readonly mac: string;
  readonly firmware: Firmware;
  readonly memoryMb?: number | undefined;
}

/** One step expected in the store: its name for the failure message and the test an event passes. */
export type ExpectedEvent = readonly [string, (e: StoredEvent) => boolean];

export class BootLab {
  readonly net: TestNetwork;
  readonly config: string;
  readonly serveLog: string;
  readonly #work: string;

  private constructor(net: TestNetwork, config: string, serveLog: string, work: string) {
    this.net = net;
    this.config = config;
    this.serveLog = serveLog;
    this.#work = work;
  }

  /** Creates the network, writes the config and starts `bootfleet serve` in it (answering on HTTP). */
  static async open(o: BootLabOptions): Promise<BootLab> {
    const config = join(o.work, `${o.name}.yaml`);
    writeFileSync(config, o.config);
    const net = TestNetwork.create({ tag: o.tag, bridgeAddress: `${o.server}/24` });
    const lab = new BootLab(net, config, join(o.work, `${o.name}.serve.log`), o.work);
    try {
      await startServeInNetwork(net, o.server, config, lab.serveLog);
    } catch (e) {
      lab.close();
      throw e;
    }
    return lab;
  }

  /** Powers on a virtual PC on the lab's bridge; its serial console goes to `<name>.serial`. */
  start(m: LabMachineOptions): LabMachine {
    const vm = QemuMachine.start({
      net: this.net,
      mac: m.mac,
      firmware: m.firmware,
      memoryMb: m.memoryMb,
      serialLog: join(this.#work, `${m.name}.serial`),
      qemuLog: join(this.#work, `${m.name}.qemu.log`),
    });
    return new LabMachine(vm, Date.now());
  }

  /**
   * Resolves when the server's store holds `want` in this order (other
   * events may come between); fails after 30 s naming the first step
   * missing and every event seen. `mac` narrows the store to one machine.
   */
  async assertEventsInOrder(
    want: readonly ExpectedEvent[],
    opts: { readonly mac?: string; readonly describe?: (e: StoredEvent) => string } = {},
  ): Promise<StoredEvent[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const seen = storedEvents(this.config, opts.mac);
      let i = 0;
      for (const e of seen) if (i < want.length && want[i]![1](e)) i++;
      if (i === want.length) return seen;
      if (Date.now() > deadline) {
        const name = opts.describe ?? ((e: StoredEvent) => eventName(e));
        assert.fail(
          `events${opts.mac ? ` for ${opts.mac}` : ""} lack ${want
            .slice(i)
            .map((w) => w[0])
            .join(", ")} in order; got ${seen.map(name).join(" ")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** What `bootfleet explain MAC --arch N` prints for this lab's config, as an administrator reads it. */
  explain(mac: string, arch: number): string {
    return execFileSync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(REPO_ROOT, "src/cli/main.ts"),
        "explain",
        mac,
        "--arch",
        String(arch),
        "-c",
        this.config,
      ],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
  }

  /** Stops serve, dnsmasq, the machines (by PID) and removes the namespaces. Safe to call twice. */
  close(): void {
    this.net.close();
  }
}

/** A machine of the lab, with the moment it was powered on. */
export class LabMachine {
  readonly vm: QemuMachine;
  readonly #started: number;

  constructor(vm: QemuMachine, started: number) {
    this.vm = vm;
    this.#started = started;
  }

  /**
   * Waits for `pattern` on the serial console and returns the seconds since
   * power-on (one decimal), writing them to test-results/boot-times.json as
   * `key` when given (the README's boot table).
   */
  async timeTo(pattern: RegExp, timeoutMs: number, key?: string): Promise<number> {
    await this.vm.waitForSerial([pattern], timeoutMs);
    const seconds = Math.round((Date.now() - this.#started) / 100) / 10;
    if (key) recordBootTime(key, seconds);
    return seconds;
  }
}

/** The client hook's stages after the loader, for one MAC, as every whole-boot test expects them. */
export function hookStages(mac: string): ExpectedEvent[] {
  return ["initrd", "nbd.connect", "root-mounted", "layers-applied", "init"].map((s) => [
    s,
    (e) => e.mac === mac && (e.type === "client.stage" ? e.stage === s : e.type === s),
  ]);
}

/** An event as a failure message names it: the client's stage, else its type. */
export function eventName(e: StoredEvent): string {
  return e.type === "client.stage" ? (e.stage ?? "") : e.type;
}
