/**
 * Whole boots: virtual PCs whose firmware nobody here wrote (SeaBIOS with
 * QEMU's iPXE ROM; OVMF's own UEFI PXE) boot from `bootfleet serve` to the
 * image's own init, in a private network namespace (198.18.0.0/24).
 *
 * A boot passes only when the serial console shows the image's /sbin/init
 * printing a token baked into that image and a file from the machine's own
 * layer, and bootfleet's event store holds every stage from dhcp.discover to
 * the client's `init` report for that MAC.
 *
 * Time from QEMU start to the image's init is written to
 * test-results/boot-times.json (the README's figures).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildImage } from "../../src/images/build-image.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { ensureDebianKernel } from "../fixtures/images/debian-kernel.js";
import { type Firmware, QemuMachine } from "../support/qemu-machine.js";
import { recordBootTime } from "../support/boot-times.js";
import { startServeInNetwork, storedEvents } from "../support/serve-in-network.js";
import { TestNetwork } from "../support/test-network.js";

const BOOT_TIMEOUT_MS = 6 * 60_000;
const SERVER = "198.18.0.1";
const results: Record<string, number> = {};

let work = "";

function writeConfig(dir: string, mode: "full" | "proxy"): string {
  const file = join(dir, `bootfleet-${mode}.yaml`);
  writeFileSync(
    file,
    `server: { address: ${SERVER}, data_dir: ${join(work, "var")} }
services:
  dhcp: { mode: ${mode}, lease_time: 600 }
  http: { port: 8080 }
  syslog: { port: 5514 }
networks:
  - subnet: 198.18.0.0/24
    pool: 198.18.0.100-198.18.0.149
    routers: [${SERVER}]
defaults:
  image: alpha
  console: ttyS0
  files: { /etc/bootfleet-layer: "default-layer\\n" }
groups:
  lab-a:
    match: { hostname: "a-*" }
    image: alpha
  lab-b:
    match: { hostname: "b-*" }
    image: beta
hosts:
  a-1:
    mac: "52:54:00:e2:e0:01"
    files: { /etc/bootfleet-layer: "host-a-1-layer\\n" }
  b-1:
    mac: "52:54:00:e2:e0:02"
    files: { /etc/bootfleet-layer: "host-b-1-layer\\n" }
  a-2:
    mac: "52:54:00:e2:e0:03"
    files: { /etc/bootfleet-layer: "host-a-2-layer\\n" }
  a-3:
    mac: "52:54:00:e2:e0:04"
    files: { /etc/bootfleet-layer: "host-a-3-layer\\n" }
`,
  );
  return file;
}

interface Boot {
  readonly name: string;
  readonly mac: string;
  readonly firmware: Firmware;
  readonly token: string;
  readonly layer: string;
}

async function boot(net: TestNetwork, b: Boot): Promise<void> {
  const started = Date.now();
  const vm = QemuMachine.start({
    net,
    mac: b.mac,
    firmware: b.firmware,
    serialLog: join(work, `${b.name}.serial`),
    qemuLog: join(work, `${b.name}.qemu.log`),
  });
  const text = await vm.waitForSerial([new RegExp(`IMAGE TOKEN ${b.token}`)], BOOT_TIMEOUT_MS);
  results[b.name] = Math.round((Date.now() - started) / 100) / 10;
  const fromLayer = await vm.waitForSerial([/INIT DONE/], 60_000);
  assert.match(
    fromLayer,
    new RegExp(`FILE /etc/bootfleet-layer: ${b.layer}`),
    "the machine's own layer file",
  );
  assert.match(text, /IMAGE TOKEN/);
}

/** Every stage, in order, for one MAC, from the server's own store (read through the CLI). */
async function assertStages(config: string, mac: string): Promise<void> {
  const want = [
    "dhcp.discover",
    "http.get",
    "initrd",
    "nbd.connect",
    "root-mounted",
    "layers-applied",
    "init",
  ];
  const deadline = Date.now() + 30_000;
  let seen: string[] = [];
  for (;;) {
    seen = storedEvents(config, mac).map((e) => (e.type === "client.stage" ? (e.stage ?? "") : e.type));
    let i = 0;
    for (const s of seen) if (s === want[i]) i++;
    if (i === want.length) return;
    if (Date.now() > deadline)
      assert.fail(`events for ${mac} lack ${want.slice(i).join(", ")} in order; got ${seen.join(" ")}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("whole boot in QEMU (TCG)", { timeout: 40 * 60_000 }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "bf-e2e-"));
    const kernel = ensureDebianKernel();
    for (const [name, token] of [
      ["alpha", "TOKEN-ALPHA"],
      ["beta", "TOKEN-BETA"],
    ] as const) {
      const root = join(work, `${name}-root`);
      mkdirSync(root);
      await makeBusyboxRoot(root, {
        token,
        vmlinuz: kernel.vmlinuz,
        kernelVersion: kernel.version,
        printFiles: ["/etc/bootfleet-layer"],
      });
      await buildImage({ dataDir: join(work, "var"), name, from: root, modulesFrom: kernel.root });
    }
  });

  after(() => {
    for (const [key, seconds] of Object.entries(results)) recordBootTime(key, seconds);
    if (work && !process.env.BOOTFLEET_KEEP_E2E) rmSync(work, { recursive: true, force: true });
  });

  it("legacy BIOS, QEMU's iPXE ROM, full DHCP", async () => {
    const net = TestNetwork.create({ tag: "e2e" });
    try {
      const config = writeConfig(work, "full");
      await startServeInNetwork(net, SERVER, config, join(work, "serve-bios.log"));
      await boot(net, {
        name: "bios-full",
        mac: "52:54:00:e2:e0:01",
        firmware: "bios",
        token: "TOKEN-ALPHA",
        layer: "host-a-1-layer",
      });
      await assertStages(config, "52:54:00:e2:e0:01");
    } finally {
      net.close();
    }
  });

  it("UEFI: OVMF's own PXE -> iPXE EFI -> HTTP, full DHCP", async () => {
    const net = TestNetwork.create({ tag: "e2e" });
    try {
      const config = writeConfig(work, "full");
      await startServeInNetwork(net, SERVER, config, join(work, "serve-uefi.log"));
      await boot(net, {
        name: "uefi-full",
        mac: "52:54:00:e2:e0:03",
        firmware: "uefi",
        token: "TOKEN-ALPHA",
        layer: "host-a-2-layer",
      });
      await assertStages(config, "52:54:00:e2:e0:03");
    } finally {
      net.close();
    }
  });

  it("proxyDHCP beside a dnsmasq that hands out the addresses", async () => {
    const net = TestNetwork.create({ tag: "e2e" });
    try {
      const dnsmasqNs = net.addHost("dhcp", "198.18.0.2/24");
      net.spawn(
        "dnsmasq",
        [
          "--keep-in-foreground",
          "--conf-file=/dev/null",
          "--port=0",
          "--no-resolv",
          "--bind-interfaces",
          "--listen-address=198.18.0.2",
          "--dhcp-range=198.18.0.150,198.18.0.199,255.255.255.0,10m",
          "--dhcp-option=3,198.18.0.1",
          `--dhcp-leasefile=${join(work, "dnsmasq.leases")}`,
          `--pid-file=${join(work, "dnsmasq.pid")}`,
          "--log-dhcp",
        ],
        join(work, "dnsmasq.log"),
        { ns: dnsmasqNs },
      );
      const config = writeConfig(work, "proxy");
      await startServeInNetwork(net, SERVER, config, join(work, "serve-proxy.log"));
      await boot(net, {
        name: "bios-proxy",
        mac: "52:54:00:e2:e0:04",
        firmware: "bios",
        token: "TOKEN-ALPHA",
        layer: "host-a-3-layer",
      });
      await assertStages(config, "52:54:00:e2:e0:04");
      const leases = readFileSync(join(work, "dnsmasq.leases"), "utf8");
      assert.match(leases, /52:54:00:e2:e0:04 198\.18\.0\.1[5-9]\d/, "the address came from dnsmasq");
    } finally {
      net.close();
    }
  });

  it("two hosts in two groups boot two images, each with its own layer", async () => {
    const net = TestNetwork.create({ tag: "e2e" });
    try {
      const config = writeConfig(work, "full");
      await startServeInNetwork(net, SERVER, config, join(work, "serve-two.log"));
      await Promise.all([
        boot(net, {
          name: "group-a",
          mac: "52:54:00:e2:e0:01",
          firmware: "bios",
          token: "TOKEN-ALPHA",
          layer: "host-a-1-layer",
        }),
        boot(net, {
          name: "group-b",
          mac: "52:54:00:e2:e0:02",
          firmware: "bios",
          token: "TOKEN-BETA",
          layer: "host-b-1-layer",
        }),
      ]);
      await assertStages(config, "52:54:00:e2:e0:02");
    } finally {
      net.close();
    }
  });
});
