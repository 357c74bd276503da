/**
 * A whole boot through the firmware's own UEFI HTTP boot, no TFTP at all:
 * an x86_64 UEFI virtual PC (OVMF, its PXE turned off, see QemuMachine's
 * "uefi-http") boots from `bootfleet serve` (full DHCP, TFTP off) in a
 * private network namespace (198.18.62.0/24):
 *
 *   OVMF HTTP boot: DHCP with vendor class "HTTPClient" and arch 16; the
 *   offer echoes "HTTPClient" (without it the firmware ignores the offer)
 *   and names a URL as boot file -> ipxe.efi over HTTP -> iPXE's own DHCP ->
 *   boot/<mac>.ipxe -> kernel and initrds over HTTP -> client hook -> NBD
 *   root -> the image's init.
 *
 * It passes only when the serial console shows the image's token and the
 * machine's own layer file, the event store holds every step from
 * dhcp.discover to the client's `init` in order and no TFTP event at all,
 * and `bootfleet explain --arch 16` names that chain. The time from QEMU
 * start to the image's init is merged into test-results/boot-times.json as
 * "uefi-http".
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildImage } from "../../src/images/build-image.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { ensureDebianKernel } from "../fixtures/images/debian-kernel.js";
import { BootLab, type ExpectedEvent, eventName, hookStages, labConfig } from "../support/boot-lab.js";
import type { StoredEvent } from "../support/serve-in-network.js";

const BOOT_TIMEOUT_MS = 8 * 60_000;
const SERVER = "198.18.62.1";
const MAC = "52:54:00:e2:62:01";

let work = "";

function config(): string {
  return labConfig({
    server: SERVER,
    dataDir: join(work, "var"),
    tftp: false,
    body: `defaults:
  image: httpimg
  console: ttyS0
  files: { /etc/bootfleet-layer: "default-layer\\n" }
hosts:
  h-1:
    mac: "${MAC}"
    files: { /etc/bootfleet-layer: "host-h-1-layer\\n" }
`,
  });
}

/** The path an HTTP event was about, percent-decoded (iPXE writes the MAC's colons as %3A). */
function pathOf(e: StoredEvent): string {
  const raw = String(e.detail?.path ?? e.detail?.url ?? e.detail?.file ?? "");
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Every step in order, from the server's own store; and not one TFTP event. */
async function assertStages(lab: BootLab): Promise<void> {
  const own = (e: StoredEvent) => e.mac === MAC;
  const http = (what: string, test: (path: string) => boolean): ExpectedEvent => [
    `http.get ${what}`,
    (e) => e.type === "http.get" && test(pathOf(e)),
  ];
  // The whole store (this network holds one machine): the HTTP requests carry no MAC.
  const seen = await lab.assertEventsInOrder(
    [
      ["dhcp.discover", (e) => own(e) && e.type === "dhcp.discover"],
      http("ipxe.efi (the firmware's own HTTP boot)", (p) => p.endsWith("/ipxe/ipxe.efi")),
      http("the iPXE script", (p) => p.endsWith(`/boot/${MAC}.ipxe`)),
      http("vmlinuz", (p) => p.endsWith("/vmlinuz")),
      ...hookStages(MAC),
    ],
    { describe: (e) => `${eventName(e)}${pathOf(e) ? `(${pathOf(e)})` : ""}` },
  );
  assert.deepEqual(
    seen.filter((e) => e.type.startsWith("tftp.")).map((e) => e.type),
    [],
    "no TFTP at all",
  );
}

describe("whole boot through UEFI HTTP boot in QEMU (TCG)", { timeout: 20 * 60_000 }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "bf-e2e-http-"));
    const kernel = ensureDebianKernel();
    const root = join(work, "httpimg-root");
    mkdirSync(root);
    await makeBusyboxRoot(root, {
      token: "TOKEN-HTTP",
      vmlinuz: kernel.vmlinuz,
      kernelVersion: kernel.version,
      printFiles: ["/etc/bootfleet-layer"],
    });
    await buildImage({ dataDir: join(work, "var"), name: "httpimg", from: root, modulesFrom: kernel.root });
  });

  after(() => {
    if (work && !process.env.BOOTFLEET_KEEP_E2E) rmSync(work, { recursive: true, force: true });
  });

  it("x86_64 UEFI: OVMF's own HTTP boot -> ipxe.efi over HTTP -> iPXE -> HTTP, full DHCP, no TFTP", async () => {
    const lab = await BootLab.open({ tag: "httpboot", work, name: "http", server: SERVER, config: config() });
    try {
      const m = lab.start({ name: "uefi-http", mac: MAC, firmware: "uefi-http" });
      await m.timeTo(/IMAGE TOKEN TOKEN-HTTP/, BOOT_TIMEOUT_MS, "uefi-http");
      const text = await m.vm.waitForSerial([/INIT DONE/], 60_000);
      assert.match(text, /FILE \/etc\/bootfleet-layer: host-h-1-layer/, "the machine's own layer file");
      await assertStages(lab);

      const explained = lab.explain(MAC, 16);
      assert.match(
        explained,
        new RegExp(
          `^chain {4}UEFI x64 HTTP boot -> http://${SERVER.replaceAll(".", "\\.")}:8080/ipxe/ipxe\\.efi over HTTP -> iPXE -> boot/${MAC}\\.ipxe over HTTP -> kernel and initrds over HTTP -> client hook -> root httpimg@\\S+ over NBD$`,
          "m",
        ),
      );
      assert.match(explained, /option 60 = HTTPClient/);
    } finally {
      lab.close();
    }
  });
});
