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
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildImage } from "../../src/images/build-image.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { ensureDebianKernel, REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import { recordBootTime } from "../support/boot-times.js";
import { QemuMachine } from "../support/qemu-machine.js";
import { type StoredEvent, startServeInNetwork, storedEvents } from "../support/serve-in-network.js";
import { TestNetwork } from "../support/test-network.js";

const BOOT_TIMEOUT_MS = 8 * 60_000;
const SERVER = "198.18.62.1";
const MAC = "52:54:00:e2:62:01";

let work = "";

function writeConfig(dir: string): string {
  const file = join(dir, "bootfleet-http.yaml");
  writeFileSync(
    file,
    `server: { address: ${SERVER}, data_dir: ${join(work, "var")} }
services:
  dhcp: { mode: full, lease_time: 600 }
  tftp: { enabled: false }
  http: { port: 8080 }
  syslog: { port: 5514 }
networks:
  - subnet: 198.18.62.0/24
    pool: 198.18.62.100-198.18.62.149
    routers: [${SERVER}]
defaults:
  image: httpimg
  console: ttyS0
  files: { /etc/bootfleet-layer: "default-layer\\n" }
hosts:
  h-1:
    mac: "${MAC}"
    files: { /etc/bootfleet-layer: "host-h-1-layer\\n" }
`,
  );
  return file;
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
async function assertStages(config: string): Promise<void> {
  const own = (e: StoredEvent) => e.mac === MAC;
  const http = (what: string, test: (path: string) => boolean): [string, (e: StoredEvent) => boolean] => [
    `http.get ${what}`,
    (e) => e.type === "http.get" && test(pathOf(e)),
  ];
  const want: readonly [string, (e: StoredEvent) => boolean][] = [
    ["dhcp.discover", (e) => own(e) && e.type === "dhcp.discover"],
    http("ipxe.efi (the firmware's own HTTP boot)", (p) => p.endsWith("/ipxe/ipxe.efi")),
    http("the iPXE script", (p) => p.endsWith(`/boot/${MAC}.ipxe`)),
    http("vmlinuz", (p) => p.endsWith("/vmlinuz")),
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
    if (i === want.length) {
      assert.deepEqual(
        seen.filter((e) => e.type.startsWith("tftp.")).map((e) => e.type),
        [],
        "no TFTP at all",
      );
      return;
    }
    if (Date.now() > deadline) {
      const got = seen.map(
        (e) => `${e.type === "client.stage" ? e.stage : e.type}${pathOf(e) ? `(${pathOf(e)})` : ""}`,
      );
      assert.fail(
        `events lack ${want
          .slice(i)
          .map((w) => w[0])
          .join(", ")} in order; got ${got.join(" ")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
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
    const net = TestNetwork.create({ tag: "httpboot", bridgeAddress: `${SERVER}/24` });
    try {
      const config = writeConfig(work);
      await startServeInNetwork(net, SERVER, config, join(work, "serve-http.log"));
      const started = Date.now();
      const vm = QemuMachine.start({
        net,
        mac: MAC,
        firmware: "uefi-http",
        serialLog: join(work, "uefi-http.serial"),
        qemuLog: join(work, "uefi-http.qemu.log"),
      });
      await vm.waitForSerial([/IMAGE TOKEN TOKEN-HTTP/], BOOT_TIMEOUT_MS);
      recordBootTime("uefi-http", Math.round((Date.now() - started) / 100) / 10);
      const text = await vm.waitForSerial([/INIT DONE/], 60_000);
      assert.match(text, /FILE \/etc\/bootfleet-layer: host-h-1-layer/, "the machine's own layer file");
      await assertStages(config);

      const explained = execFileSync(
        process.execPath,
        ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), "explain", MAC, "--arch", "16", "-c", config],
        { cwd: REPO_ROOT, encoding: "utf8" },
      );
      assert.match(
        explained,
        new RegExp(
          `^chain {4}UEFI x64 HTTP boot -> http://${SERVER.replaceAll(".", "\\.")}:8080/ipxe/ipxe\\.efi over HTTP -> iPXE -> boot/${MAC}\\.ipxe over HTTP -> kernel and initrds over HTTP -> client hook -> root httpimg@\\S+ over NBD$`,
          "m",
        ),
      );
      assert.match(explained, /option 60 = HTTPClient/);
    } finally {
      net.close();
    }
  });
});
