/**
 * A whole boot with Secure Boot on: an x86_64 UEFI virtual PC with Secure
 * Boot enforced and Microsoft's keys enrolled, as PCs ship (QemuMachine's
 * "uefi-secureboot"), on a host with `loader: shim`, boots from `bootfleet
 * serve` (full DHCP) in a private network namespace (198.18.64.0/24):
 *
 *   OVMF PXE -> shimx64.efi over TFTP (Debian's shim, signed by Microsoft:
 *   the firmware checks it) -> grubx64.efi over TFTP (Debian's signed
 *   network GRUB: shim checks it against Debian's key) -> grub/grub.cfg ->
 *   grub/grub.cfg-01-<mac> -> Debian's signed kernel (GRUB has shim check
 *   it) and the initrds (not checked) over TFTP -> client hook (Debian's
 *   signed modules only: the kernel is locked down) -> NBD root -> init.
 *
 * First the negative: a machine on the default loader is handed iPXE's
 * unsigned ipxe.efi, and the firmware refuses to start it, which shows that
 * Secure Boot is really enforced. Then the shim chain boots to the image's
 * init, whose kernel says Secure Boot is on. The time from QEMU start to the
 * image's init is merged into test-results/boot-times.json as
 * "uefi-secureboot".
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildImage } from "../../src/images/build-image.js";
import { ensureDebianShim } from "../fixtures/boot/debian-shim.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { ensureDebianKernel } from "../fixtures/images/debian-kernel.js";
import { BootLab, type ExpectedEvent, eventName, hookStages, labConfig } from "../support/boot-lab.js";
import { type StoredEvent, storedEvents } from "../support/serve-in-network.js";

const BOOT_TIMEOUT_MS = 10 * 60_000;
const SERVER = "198.18.64.1";
const SIGNED = "52:54:00:e2:64:01";
const UNSIGNED = "52:54:00:e2:64:02";
const HYPHENS = SIGNED.replaceAll(":", "-");

let work = "";

function config(): string {
  return labConfig({
    server: SERVER,
    dataDir: join(work, "var"),
    tftp: join(work, "tftp"),
    body: `defaults:
  image: sbimg
  console: ttyS0
  files: { /etc/bootfleet-layer: "default-layer\\n" }
hosts:
  sb-1:
    mac: "${SIGNED}"
    loader: shim
    files: { /etc/bootfleet-layer: "host-sb-1-layer\\n" }
  sb-unsigned:
    mac: "${UNSIGNED}"
`,
  });
}

function fileOf(e: StoredEvent): string {
  return String(e.detail?.file ?? "").replace(/^\//, "");
}

async function assertStages(lab: BootLab): Promise<void> {
  const own = (e: StoredEvent) => e.mac === SIGNED;
  const tftp = (test: (f: string) => boolean, what: string, type = "tftp.done"): ExpectedEvent => [
    `${type} ${what}`,
    (e) => e.type === type && test(fileOf(e)),
  ];
  await lab.assertEventsInOrder(
    [
      ["dhcp.discover", (e) => own(e) && e.type === "dhcp.discover"],
      tftp((f) => f === "shimx64.efi", "shimx64.efi"),
      tftp((f) => f === "grubx64.efi", "grubx64.efi"),
      tftp((f) => f === "grub/grub.cfg", "grub/grub.cfg"),
      tftp((f) => f === `grub/grub.cfg-01-${HYPHENS}`, `grub/grub.cfg-01-${HYPHENS}`),
      tftp((f) => f.endsWith("/vmlinuz"), "vmlinuz"),
      tftp((f) => f.endsWith("/initrd.img"), "initrd.img", "tftp.rrq"),
      ...hookStages(SIGNED),
    ],
    { describe: (e) => `${eventName(e)}${fileOf(e) ? `(${fileOf(e)})` : ""}` },
  );
}

describe("whole boot with Secure Boot on, in QEMU (TCG)", { timeout: 40 * 60_000 }, () => {
  let lab: BootLab | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "bf-e2e-sb-"));
    const shim = ensureDebianShim();
    // shim-signed is not installed (its postinst would run grub-install on a
    // UEFI host): bootfleet takes shimx64.efi from the TFTP root instead.
    mkdirSync(join(work, "tftp"));
    copyFileSync(shim, join(work, "tftp", "shimx64.efi"));
    const kernel = ensureDebianKernel();
    const root = join(work, "sbimg-root");
    mkdirSync(root);
    await makeBusyboxRoot(root, {
      token: "TOKEN-SECUREBOOT",
      vmlinuz: kernel.vmlinuz,
      kernelVersion: kernel.version,
      printFiles: ["/etc/bootfleet-layer"],
    });
    await buildImage({ dataDir: join(work, "var"), name: "sbimg", from: root, modulesFrom: kernel.root });
    lab = await BootLab.open({ tag: "secboot", work, name: "secureboot", server: SERVER, config: config() });
  });

  after(() => {
    lab?.close();
    if (work && !process.env.BOOTFLEET_KEEP_E2E) rmSync(work, { recursive: true, force: true });
  });

  it("the firmware refuses iPXE's unsigned ipxe.efi: Secure Boot is enforced", async () => {
    const { vm } = lab!.start({ name: "unsigned", mac: UNSIGNED, firmware: "uefi-secureboot" });
    try {
      const text = await vm.waitForSerial([/PXEv4.*(Access Denied|Security Violation)/], BOOT_TIMEOUT_MS);
      assert.doesNotMatch(text, /iPXE initialising devices/, "iPXE never ran");
      assert.ok(
        storedEvents(lab!.config).some((e) => e.type === "tftp.done" && fileOf(e) === "ipxe.efi"),
        "the firmware had ipxe.efi in hand",
      );
    } finally {
      vm.stop();
    }
  });

  it("loader shim: shim (Microsoft's signature) -> Debian's signed GRUB -> signed kernel -> the image's init", async () => {
    const m = lab!.start({ name: "signed", mac: SIGNED, firmware: "uefi-secureboot" });
    await m.timeTo(/IMAGE TOKEN TOKEN-SECUREBOOT/, BOOT_TIMEOUT_MS, "uefi-secureboot");
    const text = await m.vm.waitForSerial([/INIT DONE/], 60_000);
    assert.match(text, /FILE \/etc\/bootfleet-layer: host-sb-1-layer/, "the machine's own layer file");
    assert.match(text, /Secure boot enabled/, "the kernel booted with Secure Boot on");
    await assertStages(lab!);
    const explained = lab!.explain(SIGNED, 7);
    assert.match(
      explained,
      /^chain {4}UEFI x64 PXE -> shimx64\.efi over TFTP \(shim, signed by Microsoft\) -> grubx64\.efi/m,
    );
  });
});
