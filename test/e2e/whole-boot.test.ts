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
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildImage } from "../../src/images/build-image.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { ensureDebianKernel } from "../fixtures/images/debian-kernel.js";
import { BootLab, hookStages, labConfig } from "../support/boot-lab.js";
import type { Firmware } from "../support/qemu-machine.js";

const BOOT_TIMEOUT_MS = 6 * 60_000;
const SERVER = "198.18.0.1";

let work = "";

function config(mode: "full" | "proxy"): string {
  return labConfig({
    server: SERVER,
    dataDir: join(work, "var"),
    dhcpMode: mode,
    body: `defaults:
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
  });
}

interface Boot {
  readonly name: string;
  readonly mac: string;
  readonly firmware: Firmware;
  readonly token: string;
  readonly layer: string;
}

async function boot(lab: BootLab, b: Boot): Promise<void> {
  const m = lab.start({ name: b.name, mac: b.mac, firmware: b.firmware });
  await m.timeTo(new RegExp(`IMAGE TOKEN ${b.token}`), BOOT_TIMEOUT_MS, b.name);
  const fromLayer = await m.vm.waitForSerial([/INIT DONE/], 60_000);
  assert.match(
    fromLayer,
    new RegExp(`FILE /etc/bootfleet-layer: ${b.layer}`),
    "the machine's own layer file",
  );
}

/** Every stage, in order, for one MAC, from the server's own store (read through the CLI). */
async function assertStages(lab: BootLab, mac: string): Promise<void> {
  await lab.assertEventsInOrder(
    [
      ["dhcp.discover", (e) => e.type === "dhcp.discover"],
      ["http.get", (e) => e.type === "http.get"],
      ...hookStages(mac),
    ],
    { mac },
  );
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
    if (work && !process.env.BOOTFLEET_KEEP_E2E) rmSync(work, { recursive: true, force: true });
  });

  it("legacy BIOS, QEMU's iPXE ROM, full DHCP", async () => {
    const lab = await BootLab.open({
      tag: "e2e",
      work,
      name: "bios",
      server: SERVER,
      config: config("full"),
    });
    try {
      await boot(lab, {
        name: "bios-full",
        mac: "52:54:00:e2:e0:01",
        firmware: "bios",
        token: "TOKEN-ALPHA",
        layer: "host-a-1-layer",
      });
      await assertStages(lab, "52:54:00:e2:e0:01");
    } finally {
      lab.close();
    }
  });

  it("UEFI: OVMF's own PXE -> iPXE EFI -> HTTP, full DHCP", async () => {
    const lab = await BootLab.open({
      tag: "e2e",
      work,
      name: "uefi",
      server: SERVER,
      config: config("full"),
    });
    try {
      await boot(lab, {
        name: "uefi-full",
        mac: "52:54:00:e2:e0:03",
        firmware: "uefi",
        token: "TOKEN-ALPHA",
        layer: "host-a-2-layer",
      });
      await assertStages(lab, "52:54:00:e2:e0:03");
    } finally {
      lab.close();
    }
  });

  it("proxyDHCP beside a dnsmasq that hands out the addresses", async () => {
    const lab = await BootLab.open({
      tag: "e2e",
      work,
      name: "proxy",
      server: SERVER,
      config: config("proxy"),
    });
    try {
      const dnsmasqNs = lab.net.addHost("dhcp", "198.18.0.2/24");
      lab.net.spawn(
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
      await boot(lab, {
        name: "bios-proxy",
        mac: "52:54:00:e2:e0:04",
        firmware: "bios",
        token: "TOKEN-ALPHA",
        layer: "host-a-3-layer",
      });
      await assertStages(lab, "52:54:00:e2:e0:04");
      const leases = readFileSync(join(work, "dnsmasq.leases"), "utf8");
      assert.match(leases, /52:54:00:e2:e0:04 198\.18\.0\.1[5-9]\d/, "the address came from dnsmasq");
    } finally {
      lab.close();
    }
  });

  it("two hosts in two groups boot two images, each with its own layer", async () => {
    const lab = await BootLab.open({ tag: "e2e", work, name: "two", server: SERVER, config: config("full") });
    try {
      await Promise.all([
        boot(lab, {
          name: "group-a",
          mac: "52:54:00:e2:e0:01",
          firmware: "bios",
          token: "TOKEN-ALPHA",
          layer: "host-a-1-layer",
        }),
        boot(lab, {
          name: "group-b",
          mac: "52:54:00:e2:e0:02",
          firmware: "bios",
          token: "TOKEN-BETA",
          layer: "host-b-1-layer",
        }),
      ]);
      await assertStages(lab, "52:54:00:e2:e0:02");
    } finally {
      lab.close();
    }
  });
});
