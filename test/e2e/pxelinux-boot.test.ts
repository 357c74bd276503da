/**
 * A whole boot through pxelinux: a legacy BIOS PC (SeaBIOS, the e1000's iPXE
 * option ROM from qemu-system-data acting as its PXE ROM) whose host sets
 * `loader: pxelinux` boots from `bootfleet serve` (full DHCP) in a private
 * network namespace (198.18.60.0/24):
 *   DHCP -> pxelinux.0 and ldlinux.c32 (Debian's pxelinux, syslinux-common)
 *   -> pxelinux.cfg/01-<mac> rendered by the planner -> kernel, image initrd
 *   and layer cpio over TFTP -> the client hook -> NBD root -> the image's init.
 *
 * It passes only when the serial console shows the image's token and the
 * machine's own layer file, the kernel command line carries what pxelinux
 * (not iPXE) adds (BOOT_IMAGE=, BOOTIF= from IPAPPEND 2), and the event store
 * holds every stage in order for that MAC, with pxelinux's own TFTP reads.
 *
 * Time from QEMU start to the image's init goes to test-results/boot-times.json
 * as "bios-pxelinux", beside what the other whole-boot tests wrote there.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEBIAN_SYSLINUX_DIRS, syslinuxFile } from "../../src/boot/syslinux-files.js";
import { buildImage } from "../../src/images/build-image.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { ensureDebianKernel } from "../fixtures/images/debian-kernel.js";
import { QemuMachine } from "../support/qemu-machine.js";
import { recordBootTime } from "../support/boot-times.js";
import { type StoredEvent, startServeInNetwork, storedEvents } from "../support/serve-in-network.js";
import { TestNetwork } from "../support/test-network.js";

const BOOT_TIMEOUT_MS = 6 * 60_000;
const SERVER = "198.18.60.1";
const MAC = "52:54:00:e2:60:01";
const MAC_HY = MAC.replaceAll(":", "-");
const TOKEN = "TOKEN-PXL";
const LAYER = "host-px-1-layer";

let work = "";

function writeConfig(): string {
  const file = join(work, "bootfleet.yaml");
  writeFileSync(
    file,
    `server: { address: ${SERVER}, data_dir: ${join(work, "var")} }
services:
  dhcp: { mode: full, lease_time: 600 }
  http: { port: 8080 }
  syslog: { port: 5514 }
networks:
  - subnet: 198.18.60.0/24
    pool: 198.18.60.100-198.18.60.149
    routers: [${SERVER}]
defaults:
  image: alpha
  console: ttyS0
  files: { /etc/bootfleet-layer: "default-layer\\n" }
hosts:
  px-1:
    mac: "${MAC}"
    loader: pxelinux
    files: { /etc/bootfleet-layer: "${LAYER}\\n" }
`,
  );
  return file;
}

/** `type`, `type file` for TFTP, or the client's stage: what the ordered check compares. */
function step(e: StoredEvent): string {
  if (e.type === "client.stage") return e.stage ?? "";
  if (e.type === "tftp.done") return `tftp.done ${String(e.detail?.file).replace(/^\/+/, "")}`;
  return e.type;
}

async function assertStages(config: string, image: { name: string; version: string }): Promise<void> {
  const dir = `images/${image.name}/${image.version}`;
  const want = [
    "dhcp.discover",
    `tftp.done pxelinux.cfg/01-${MAC_HY}`,
    `tftp.done ${dir}/vmlinuz`,
    `tftp.done ${dir}/initrd.img`,
    `tftp.done boot/${MAC_HY}/layers.cpio`,
    "initrd",
    "nbd.connect",
    "root-mounted",
    "layers-applied",
    "init",
  ];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const seen = storedEvents(config, MAC).map(step);
    let i = 0;
    for (const s of seen) if (s === want[i]) i++;
    if (i === want.length) return;
    if (Date.now() > deadline)
      assert.fail(`events for ${MAC} lack ${want.slice(i).join(", ")} in order; got:\n${seen.join("\n")}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("pxelinux whole boot in QEMU (TCG)", { timeout: 20 * 60_000 }, () => {
  let image = { name: "alpha", version: "" };

  before(async () => {
    // A missing peer fails with the package's name, never a silent skip.
    for (const name of ["pxelinux.0", "ldlinux.c32"]) {
      const f = syslinuxFile(name, DEBIAN_SYSLINUX_DIRS)!;
      assert.ok(existsSync(f.path), `${f.path} missing: apt-get install ${f.debianPackage}`);
    }
    work = mkdtempSync(join(tmpdir(), "bf-pxl-"));
    const kernel = ensureDebianKernel();
    const root = join(work, "alpha-root");
    mkdirSync(root);
    await makeBusyboxRoot(root, {
      token: TOKEN,
      vmlinuz: kernel.vmlinuz,
      kernelVersion: kernel.version,
      printFiles: ["/etc/bootfleet-layer"],
    });
    const built = await buildImage({
      dataDir: join(work, "var"),
      name: "alpha",
      from: root,
      modulesFrom: kernel.root,
    });
    image = { name: "alpha", version: built.version };
  });

  after(() => {
    if (work && !process.env.BOOTFLEET_KEEP_E2E) rmSync(work, { recursive: true, force: true });
  });

  it("legacy BIOS, NIC PXE ROM -> pxelinux.0 -> TFTP kernel and initrds -> NBD root, full DHCP", async () => {
    const net = TestNetwork.create({ tag: "pxl", bridgeAddress: `${SERVER}/24` });
    try {
      const config = writeConfig();
      await startServeInNetwork(net, SERVER, config, join(work, "serve.log"));
      const started = Date.now();
      const vm = QemuMachine.start({
        net,
        mac: MAC,
        firmware: "bios",
        serialLog: join(work, "bios-pxelinux.serial"),
        qemuLog: join(work, "bios-pxelinux.qemu.log"),
      });
      await vm.waitForSerial([new RegExp(`IMAGE TOKEN ${TOKEN}`)], BOOT_TIMEOUT_MS);
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      const text = await vm.waitForSerial([/INIT DONE/], 60_000);
      assert.match(text, new RegExp(`FILE /etc/bootfleet-layer: ${LAYER}`), "the machine's own layer file");
      assert.match(
        text,
        /PXELINUX \d+\.\d+/,
        "pxelinux's banner (SeaBIOS mirrors the screen to the serial port)",
      );
      // pxelinux, not an iPXE script, started the kernel: pxelinux puts
      // BOOT_IMAGE= first and IPAPPEND 2 appends BOOTIF=01-<mac>.
      const cmdline = /Kernel command line: (.*)/.exec(text)?.[1] ?? "";
      assert.match(cmdline, new RegExp(`^BOOT_IMAGE=images/alpha/${image.version}/vmlinuz `), cmdline);
      assert.match(
        cmdline,
        new RegExp(`initrd=images/alpha/${image.version}/initrd.img,boot/${MAC_HY}/layers.cpio`),
      );
      assert.match(cmdline, new RegExp(`BOOTIF=01-${MAC_HY}`));

      await assertStages(config, image);
      // pxelinux's own two halves went out over TFTP, from Debian's packages.
      const files = storedEvents(config)
        .filter((e) => e.type === "tftp.done")
        .map((e) => String(e.detail?.file).replace(/^\/+/, ""));
      for (const f of ["pxelinux.0", "ldlinux.c32"])
        assert.ok(files.includes(f), `${f} served; got ${files.join(" ")}`);
      recordBootTime("bios-pxelinux", seconds);
    } finally {
      net.close();
    }
  });
});
