/**
 * A real distribution, booted whole: `bootfleet image build --from
 * debootstrap:bookworm --variant essential --include systemd-sysv,udev`
 * makes a Debian 12 image with systemd as init (from the local repository
 * of Debian's own .debs the debootstrap test also uses, so nothing is
 * fetched at test time once it is filled; without Debian's own initramfs,
 * see INITRD below), and a legacy BIOS virtual PC
 * (SeaBIOS with QEMU's iPXE ROM) boots it from `bootfleet serve` in a
 * private network namespace (198.18.160.0/24):
 *
 *   iPXE -> kernel and initrds over HTTP -> client hook -> NBD root with a
 *   writable overlay -> systemd -> serial-getty@ttyS0 (started for the
 *   console= the config's `console: ttyS0` puts on the kernel command line)
 *   -> agetty prints /etc/issue and "<hostname> login:".
 *
 * It passes only when the login prompt shows the hostname from the host's
 * own layer (/etc/hostname, which systemd sets at start), the console shows
 * /etc/issue from the group's layer, and the server's store holds every
 * stage from dhcp.discover to the hook's `init` for that MAC. Seconds from
 * QEMU start to the login prompt go to test-results/boot-times.json as
 * "debian-systemd", to the hook starting systemd as "debian-systemd-init";
 * the build's seconds are printed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hostDebianArch } from "../../src/images/image-source.js";
import {
  buildDebianSystemdImage,
  ensureSystemdImageMirror,
} from "../fixtures/images/debian-systemd-image.js";
import { BootLab, hookStages, labConfig } from "../support/boot-lab.js";
import { requirePeers } from "../support/require-peers.js";

const LOGIN_TIMEOUT_MS = 10 * 60_000;
const SERVER = "198.18.160.1";
const MAC = "52:54:00:e2:a0:01";
const HOSTNAME = "sd-1-from-layer";
const ISSUE = "bootfleet lab sd: issue from the group layer";

let work = "";

function config(): string {
  return labConfig({
    server: SERVER,
    dataDir: join(work, "var"),
    body: `defaults:
  image: debsys
  console: ttyS0
groups:
  sd-lab:
    match: { hostname: "sd-*" }
    files: { /etc/issue: "${ISSUE}\\n\\n" }
hosts:
  sd-1:
    mac: "${MAC}"
    files: { /etc/hostname: "${HOSTNAME}\\n" }
`,
  });
}

describe("whole boot of a Debian 12 systemd image to a login prompt, in QEMU (TCG)", {
  timeout: 20 * 60_000,
}, () => {
  before(() => {
    requirePeers(["mmdebstrap", "mksquashfs", "apt-get", "qemu-system-x86_64", "ip", "curl"], { root: true });
    if (hostDebianArch() !== "amd64") throw new Error("this test boots an amd64 image; run it on amd64");
    work = mkdtempSync(join(tmpdir(), "bf-e2e-systemd-"));
    const mirror = ensureSystemdImageMirror();
    // The image does not exist yet: a config that names it would not load.
    const file = join(work, "build.yaml");
    writeFileSync(file, labConfig({ server: SERVER, dataDir: join(work, "var"), body: "" }));
    // As an administrator builds it: the CLI, from the repository, no recommends.
    const seconds = buildDebianSystemdImage("debsys", file, mirror);
    process.stderr.write(`# debian systemd image: build ${seconds.toFixed(1)} s\n`);
  });

  after(() => {
    if (work && !process.env.BOOTFLEET_KEEP_E2E) rmSync(work, { recursive: true, force: true });
  });

  it("BIOS iPXE -> NBD root -> systemd -> getty on ttyS0: '<hostname from the host layer> login:'", async () => {
    const lab = await BootLab.open({
      tag: "systemd",
      work,
      name: "systemd",
      server: SERVER,
      config: config(),
    });
    try {
      const m = lab.start({ name: "debian-systemd", mac: MAC, firmware: "bios" });
      // Two phases: bootfleet's part ends where the hook hands over to systemd.
      const toInit = await m.timeTo(/starting \/sbin\/init/, LOGIN_TIMEOUT_MS, "debian-systemd-init");
      const toLogin = await m.timeTo(new RegExp(`${HOSTNAME} login:`), LOGIN_TIMEOUT_MS, "debian-systemd");
      process.stderr.write(
        `# debian systemd image: power-on to the hook starting /sbin/init ${toInit} s, to the login prompt ${toLogin} s\n`,
      );
      const text = m.vm.serial();
      assert.match(text, /Welcome to .*Debian GNU\/Linux 12/, "systemd started as init");
      assert.match(text, new RegExp(ISSUE), "agetty showed /etc/issue from the group's layer");
      await lab.assertEventsInOrder(
        [["dhcp.discover", (e) => e.type === "dhcp.discover"], ...hookStages(MAC)],
        {
          mac: MAC,
        },
      );
    } finally {
      lab.close();
    }
  });
});
