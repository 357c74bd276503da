/**
 * A whole boot through GRUB: a UEFI virtual PC (OVMF, Secure Boot off, its
 * own PXE stack) on a host with `loader: grub` boots from `bootfleet serve`
 * (full DHCP) in a private network namespace (198.18.61.0/24):
 *
 *   OVMF PXE -> grubnetx64.efi over TFTP (Debian's signed network GRUB,
 *   handed out by bootfleet from grub-efi-amd64-signed) -> grub/grub.cfg
 *   (what that GRUB asks for) -> grub/grub.cfg-01-<mac> (the planner's) ->
 *   kernel and initrds over TFTP (that GRUB has no http module built in) ->
 *   client hook -> NBD root -> the image's init.
 *
 * It passes only when the serial console shows the image's token and the
 * machine's own layer file, and the event store holds every stage from
 * dhcp.discover to the client's `init` for that MAC, with GRUB's own TFTP
 * requests in between. The time from QEMU start to the image's init
 * is merged into test-results/boot-times.json as "uefi-grub".
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEBIAN_GRUB_BINARIES } from "../../src/boot/grub-files.js";
import { buildImage } from "../../src/images/build-image.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { ensureDebianKernel } from "../fixtures/images/debian-kernel.js";
import { BootLab, type ExpectedEvent, eventName, hookStages, labConfig } from "../support/boot-lab.js";
import type { StoredEvent } from "../support/serve-in-network.js";

const BOOT_TIMEOUT_MS = 8 * 60_000;
const SERVER = "198.18.61.1";
const MAC = "52:54:00:e2:61:01";
const HYPHENS = MAC.replaceAll(":", "-");

let work = "";

function config(): string {
  return labConfig({
    server: SERVER,
    dataDir: join(work, "var"),
    tftp: join(work, "tftp"),
    body: `defaults:
  image: grubimg
  console: ttyS0
  files: { /etc/bootfleet-layer: "default-layer\\n" }
hosts:
  g-1:
    mac: "${MAC}"
    loader: grub
    files: { /etc/bootfleet-layer: "host-g-1-layer\\n" }
`,
  });
}

/** The file a TFTP event was about. */
function fileOf(e: StoredEvent): string {
  return String(e.detail?.file ?? "");
}

/**
 * Every step, in order, from the server's own store: DHCP, GRUB itself, the
 * files it asks for (the first two carry no MAC: only the per-machine name
 * tells TFTP who asks), and the client hook's reports under the MAC.
 */
async function assertStages(lab: BootLab): Promise<void> {
  const tftp = (file: string): ExpectedEvent => [
    `tftp.done ${file}`,
    (e) => e.type === "tftp.done" && fileOf(e).replace(/^\//, "") === file,
  ];
  const own = (e: StoredEvent) => e.mac === MAC;
  // The whole store: this network holds one machine, and GRUB's first requests carry no MAC.
  await lab.assertEventsInOrder(
    [
      ["dhcp.discover", (e) => own(e) && e.type === "dhcp.discover"],
      tftp("grubnetx64.efi"),
      tftp("grub/grub.cfg"),
      [`tftp.done grub/grub.cfg-01-${HYPHENS}`, (e) => own(e) && tftp(`grub/grub.cfg-01-${HYPHENS}`)[1](e)],
      ["tftp.done vmlinuz", (e) => own(e) && e.type === "tftp.done" && fileOf(e).endsWith("/vmlinuz")],
      ["tftp.done initrd.img", (e) => own(e) && e.type === "tftp.done" && fileOf(e).endsWith("/initrd.img")],
      tftp(`boot/${HYPHENS}/layers.cpio`),
      ...hookStages(MAC),
    ],
    { describe: (e) => `${eventName(e)}${fileOf(e) ? `(${fileOf(e)})` : ""}` },
  );
}

describe("whole boot through GRUB in QEMU (TCG)", { timeout: 20 * 60_000 }, () => {
  before(async () => {
    const grub = DEBIAN_GRUB_BINARIES["grubnetx64.efi"]!;
    if (!existsSync(grub.path))
      throw new Error(
        `${grub.path} missing: install Debian's ${grub.debianPackage} (scripts/test-peers.txt)`,
      );
    work = mkdtempSync(join(tmpdir(), "bf-e2e-grub-"));
    const kernel = ensureDebianKernel();
    const root = join(work, "grubimg-root");
    mkdirSync(root);
    await makeBusyboxRoot(root, {
      token: "TOKEN-GRUB",
      vmlinuz: kernel.vmlinuz,
      kernelVersion: kernel.version,
      printFiles: ["/etc/bootfleet-layer"],
    });
    await buildImage({ dataDir: join(work, "var"), name: "grubimg", from: root, modulesFrom: kernel.root });
  });

  after(() => {
    if (work && !process.env.BOOTFLEET_KEEP_E2E) rmSync(work, { recursive: true, force: true });
  });

  it("UEFI: OVMF's own PXE -> Debian's grubnetx64.efi -> kernel and initrds over TFTP, full DHCP", async () => {
    const lab = await BootLab.open({ tag: "grub", work, name: "grub", server: SERVER, config: config() });
    try {
      const m = lab.start({ name: "uefi-grub", mac: MAC, firmware: "uefi" });
      await m.timeTo(/IMAGE TOKEN TOKEN-GRUB/, BOOT_TIMEOUT_MS, "uefi-grub");
      const text = await m.vm.waitForSerial([/INIT DONE/], 60_000);
      assert.match(text, /FILE \/etc\/bootfleet-layer: host-g-1-layer/, "the machine's own layer file");
      assert.match(text, /bootfleet: loading grubimg@/, "GRUB ran the planner's per-machine entry");

      await assertStages(lab);
      // GRUB came from the Debian package: no warning naming it.
      assert.doesNotMatch(
        readFileSync(lab.serveLog, "utf8"),
        /grub-efi-amd64-signed/,
        "no missing-GRUB warning",
      );
    } finally {
      lab.close();
    }
  });
});
