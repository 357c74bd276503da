/**
 * A whole ARM64 boot: qemu-system-aarch64's virt machine (TCG) with
 * Debian's AAVMF firmware and its own PXE boots from `bootfleet serve`
 * (full DHCP) in a private network namespace (198.18.63.0/24), on the
 * default loader:
 *
 *   AAVMF PXE (DHCP option 93 = 11) -> grubnetaa64.efi over TFTP (Debian's
 *   signed network GRUB from grub-efi-arm64-signed: Debian ships no iPXE
 *   for ARM64, so the planner hands out GRUB instead) -> grub/grub.cfg ->
 *   grub/grub.cfg-01-<mac> -> kernel and initrds over TFTP -> client hook
 *   (arm64 busybox and bootfleet-nbd) -> NBD root -> the image's init.
 *
 * The image is built on this x86 server from arm64 packages unpacked with
 * `dpkg -x` (the kernel and busybox-static); no arm64 code runs here. One
 * boot only: emulating ARM64 is slow. It passes when the serial console
 * shows the image's token and the machine's own layer file, the event store
 * holds every step in order, `explain --arch 11` names the chain, and serve
 * said nothing about a missing ARM64 loader. The time from QEMU start to the
 * image's init is merged into test-results/boot-times.json as "uefi-arm64".
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEBIAN_GRUB_BINARIES } from "../../src/boot/grub-files.js";
import { buildImage } from "../../src/images/build-image.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { ensureArm64Parts } from "../fixtures/images/debian-arm64.js";
import { REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import { BootLab, type ExpectedEvent, eventName, hookStages, labConfig } from "../support/boot-lab.js";
import { requirePeers } from "../support/require-peers.js";
import type { StoredEvent } from "../support/serve-in-network.js";

const BOOT_TIMEOUT_MS = 20 * 60_000;
const SERVER = "198.18.63.1";
const MAC = "52:54:00:e2:63:01";
const HYPHENS = MAC.replaceAll(":", "-");

let work = "";

function config(): string {
  return labConfig({
    server: SERVER,
    dataDir: join(work, "var"),
    leaseTime: 1200,
    tftp: join(work, "tftp"),
    body: `defaults:
  image: armimg
  console: ttyAMA0
  files: { /etc/bootfleet-layer: "default-layer\\n" }
hosts:
  arm-1:
    mac: "${MAC}"
    files: { /etc/bootfleet-layer: "host-arm-1-layer\\n" }
`,
  });
}

function fileOf(e: StoredEvent): string {
  return String(e.detail?.file ?? "").replace(/^\//, "");
}

/** Every step in order from the server's own store; GRUB's first requests carry no MAC (only the file name tells). */
async function assertStages(lab: BootLab): Promise<void> {
  const own = (e: StoredEvent) => e.mac === MAC;
  const tftp = (test: (file: string) => boolean, what: string, type = "tftp.done"): ExpectedEvent => [
    `${type} ${what}`,
    (e) => e.type === type && test(fileOf(e)),
  ];
  const isInitrd = (f: string) => f.endsWith("/initrd.img");
  const isLayers = (f: string) => f === `boot/${HYPHENS}/layers.cpio`;
  // The whole store: this network holds one machine.
  const seen = await lab.assertEventsInOrder(
    [
      ["dhcp.discover", (e) => own(e) && e.type === "dhcp.discover"],
      tftp((f) => f === "grubnetaa64.efi", "grubnetaa64.efi"),
      tftp((f) => f === "grub/grub.cfg", "grub/grub.cfg"),
      tftp((f) => f === `grub/grub.cfg-01-${HYPHENS}`, `grub/grub.cfg-01-${HYPHENS}`),
      tftp((f) => f.endsWith("/vmlinuz"), "vmlinuz"),
      // GRUB asks for both initrds before it reads them: their transfers end in either order.
      tftp(isInitrd, "initrd.img", "tftp.rrq"),
      tftp(isLayers, "layers.cpio", "tftp.rrq"),
      ...hookStages(MAC),
    ],
    { describe: (e) => `${eventName(e)}${fileOf(e) ? `(${fileOf(e)})` : ""}` },
  );
  for (const [what, test] of [tftp(isInitrd, "initrd.img"), tftp(isLayers, "layers.cpio")])
    assert.ok(seen.some(test), `${what} in the store`);
}

describe("whole ARM64 UEFI boot in QEMU (TCG)", { timeout: 40 * 60_000 }, () => {
  before(async () => {
    requirePeers(["qemu-system-aarch64", "ip"], { root: true });
    const grub = DEBIAN_GRUB_BINARIES["grubnetaa64.efi"]!;
    if (!existsSync(grub.path))
      throw new Error(`${grub.path} missing: install ${grub.debianPackage}:arm64 (scripts/test-peers.txt)`);
    const helper = join(REPO_ROOT, "native", "build", "client", "arm64", "bootfleet-nbd");
    if (!existsSync(helper))
      throw new Error(
        `${helper} missing: npm run build (needs gcc-aarch64-linux-gnu, scripts/serve-packages.txt)`,
      );
    work = mkdtempSync(join(tmpdir(), "bf-e2e-arm64-"));
    const arm64 = ensureArm64Parts();
    const root = join(work, "armimg-root");
    mkdirSync(root);
    await makeBusyboxRoot(root, {
      token: "TOKEN-ARM64",
      vmlinuz: arm64.vmlinuz,
      kernelVersion: arm64.kernelVersion,
      printFiles: ["/etc/bootfleet-layer"],
      withoutNbdClient: true,
      busybox: arm64.busybox,
    });
    // --arch names the clients' architecture; a root of another is refused before the squash.
    await assert.rejects(
      buildImage({
        dataDir: join(work, "var"),
        name: "armimg",
        from: root,
        modulesFrom: arm64.kernelRoot,
        arch: "amd64",
      }),
      /--arch amd64, but the programs in .* are built for arm64/,
    );
    const built = await buildImage({
      dataDir: join(work, "var"),
      name: "armimg",
      from: root,
      modulesFrom: arm64.kernelRoot,
      arch: "arm64",
    });
    assert.equal(built.manifest.arch, "arm64");
  });

  after(() => {
    if (work && !process.env.BOOTFLEET_KEEP_E2E) rmSync(work, { recursive: true, force: true });
  });

  it("AAVMF's PXE -> Debian's grubnetaa64.efi -> kernel and initrds over TFTP -> the arm64 image's init", async () => {
    const lab = await BootLab.open({ tag: "arm64", work, name: "arm64", server: SERVER, config: config() });
    try {
      const m = lab.start({ name: "uefi-arm64", mac: MAC, firmware: "uefi-arm64", memoryMb: 1024 });
      await m.timeTo(/IMAGE TOKEN TOKEN-ARM64/, BOOT_TIMEOUT_MS, "uefi-arm64");
      const text = await m.vm.waitForSerial([/INIT DONE/], 120_000);
      assert.match(text, /FILE \/etc\/bootfleet-layer: host-arm-1-layer/, "the machine's own layer file");
      await assertStages(lab);
      assert.doesNotMatch(readFileSync(lab.serveLog, "utf8"), /ARM64 UEFI machines get no answer/);

      const explained = lab.explain(MAC, 11);
      assert.match(
        explained,
        new RegExp(
          `^chain {4}UEFI ARM64 PXE -> grubnetaa64\\.efi over TFTP \\(GRUB\\) -> grub/grub\\.cfg over TFTP -> grub/grub\\.cfg-01-${HYPHENS} over TFTP -> kernel and initrds over TFTP -> client hook -> root armimg@\\S+ over NBD$`,
          "m",
        ),
      );
    } finally {
      lab.close();
    }
  });
});
