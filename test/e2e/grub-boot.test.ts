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
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEBIAN_GRUB_BINARIES } from "../../src/boot/grub-files.js";
import { buildImage } from "../../src/images/build-image.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { ensureDebianKernel } from "../fixtures/images/debian-kernel.js";
import { QemuMachine } from "../support/qemu-machine.js";
import { recordBootTime } from "../support/boot-times.js";
import { type StoredEvent, startServeInNetwork, storedEvents } from "../support/serve-in-network.js";
import { TestNetwork } from "../support/test-network.js";

const BOOT_TIMEOUT_MS = 8 * 60_000;
const SERVER = "198.18.61.1";
const MAC = "52:54:00:e2:61:01";
const HYPHENS = MAC.replaceAll(":", "-");

let work = "";

function writeConfig(dir: string): string {
  const file = join(dir, "bootfleet-grub.yaml");
  writeFileSync(
    file,
    `server: { address: ${SERVER}, data_dir: ${join(work, "var")} }
services:
  dhcp: { mode: full, lease_time: 600 }
  tftp: { root: ${join(work, "tftp")} }
  http: { port: 8080 }
  syslog: { port: 5514 }
networks:
  - subnet: 198.18.61.0/24
    pool: 198.18.61.100-198.18.61.149
    routers: [${SERVER}]
defaults:
  image: grubimg
  console: ttyS0
  files: { /etc/bootfleet-layer: "default-layer\\n" }
hosts:
  g-1:
    mac: "${MAC}"
    loader: grub
    files: { /etc/bootfleet-layer: "host-g-1-layer\\n" }
`,
  );
  return file;
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
async function assertStages(config: string): Promise<void> {
  const tftp = (file: string): [string, (e: StoredEvent) => boolean] => [
    `tftp.done ${file}`,
    (e) => e.type === "tftp.done" && fileOf(e).replace(/^\//, "") === file,
  ];
  const own = (e: StoredEvent) => e.mac === MAC;
  const want: readonly [string, (e: StoredEvent) => boolean][] = [
    ["dhcp.discover", (e) => own(e) && e.type === "dhcp.discover"],
    tftp("grubnetx64.efi"),
    tftp("grub/grub.cfg"),
    [`tftp.done grub/grub.cfg-01-${HYPHENS}`, (e) => own(e) && tftp(`grub/grub.cfg-01-${HYPHENS}`)[1](e)],
    ["tftp.done vmlinuz", (e) => own(e) && e.type === "tftp.done" && fileOf(e).endsWith("/vmlinuz")],
    ["tftp.done initrd.img", (e) => own(e) && e.type === "tftp.done" && fileOf(e).endsWith("/initrd.img")],
    tftp(`boot/${HYPHENS}/layers.cpio`),
    ...["initrd", "nbd.connect", "root-mounted", "layers-applied", "init"].map(
      (s): [string, (e: StoredEvent) => boolean] => [
        s,
        (e) => own(e) && (e.type === "client.stage" ? e.stage === s : e.type === s),
      ],
    ),
  ];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const seen = storedEvents(config); // this network holds one machine
    let i = 0;
    for (const e of seen) if (i < want.length && want[i]![1](e)) i++;
    if (i === want.length) return;
    if (Date.now() > deadline) {
      const got = seen.map(
        (e) => `${e.type === "client.stage" ? e.stage : e.type}${fileOf(e) ? `(${fileOf(e)})` : ""}`,
      );
      assert.fail(
        `events for ${MAC} lack ${want
          .slice(i)
          .map((w) => w[0])
          .join(", ")} in order; got ${got.join(" ")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
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
    const net = TestNetwork.create({ tag: "grub", bridgeAddress: `${SERVER}/24` });
    try {
      const config = writeConfig(work);
      const serveLog = join(work, "serve-grub.log");
      await startServeInNetwork(net, SERVER, config, serveLog);
      const started = Date.now();
      const vm = QemuMachine.start({
        net,
        mac: MAC,
        firmware: "uefi",
        serialLog: join(work, "uefi-grub.serial"),
        qemuLog: join(work, "uefi-grub.qemu.log"),
      });
      await vm.waitForSerial([/IMAGE TOKEN TOKEN-GRUB/], BOOT_TIMEOUT_MS);
      recordBootTime("uefi-grub", Math.round((Date.now() - started) / 100) / 10);
      const text = await vm.waitForSerial([/INIT DONE/], 60_000);
      assert.match(text, /FILE \/etc\/bootfleet-layer: host-g-1-layer/, "the machine's own layer file");
      assert.match(text, /bootfleet: loading grubimg@/, "GRUB ran the planner's per-machine entry");

      await assertStages(config);
      // GRUB came from the Debian package: no warning naming it.
      assert.doesNotMatch(readFileSync(serveLog, "utf8"), /grub-efi-amd64-signed/, "no missing-GRUB warning");
    } finally {
      net.close();
    }
  });
});
