/**
 * Records the read trace the storm replays: one QEMU machine (TCG, SeaBIOS
 * with QEMU's iPXE ROM) boots an image from `bootfleet serve` in a private
 * namespace (198.18.203.0/24), with its `bootfleet.nbd=` pointed (through
 * the image's kernel_args, which come after the planner's own and win) at
 * nbd-trace-proxy.ts, which forwards to the NBD service and notes every
 * READ. Stops when the console shows the image's init has finished, or at
 * `--seconds`, and writes the trace (read-trace.ts) to `--out`.
 *
 *   node --import tsx bench/storm/record-trace.ts [--out bench/storm/traces/busybox-boot.json.gz] [--seconds 60]
 *
 * The image is the whole-boot tests' busybox image on Debian's kernel
 * (test/fixtures/images/busybox-root.ts): the hook's own boot path with a
 * small userland, not a full Debian system.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { QemuMachine } from "../../test/support/qemu-machine.js";
import { requirePeers } from "../../test/support/require-peers.js";
import { startServeInNetwork } from "../../test/support/serve-in-network.js";
import { TestNetwork } from "../../test/support/test-network.js";
import { saveReadTrace, type TracedRead } from "./read-trace.js";
import { buildStormImage } from "./storm-image.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(here, "traces/busybox-boot.json.gz") },
    seconds: { type: "string", default: "60" },
  },
});
const SERVER = "198.18.203.1";
const PROXY_PORT = 10819;
const MAC = "52:54:00:5e:00:01";
const limitMs = Math.max(10, Number(values.seconds)) * 1000;

requirePeers(["qemu-system-x86_64", "ip", "mksquashfs"], { root: true });
const work = mkdtempSync(join(tmpdir(), "bf-stormrec-"));
const net = TestNetwork.create({ tag: "stormrec", bridgeAddress: `${SERVER}/24` });
try {
  const image = await buildStormImage(work);
  const config = join(work, "bootfleet.yaml");
  writeFileSync(
    config,
    `server: { address: ${SERVER}, data_dir: ${image.dataDir} }
services:
  dhcp: { mode: full, lease_time: 600 }
  http: { port: 8080 }
networks:
  - subnet: 198.18.203.0/24
    pool: 198.18.203.100-198.18.203.149
    routers: [${SERVER}]
defaults: { image: ${image.name}, console: ttyS0, boot_unknown: true }
images:
  ${image.name}: { kernel_args: "bootfleet.nbd=${SERVER}:${PROXY_PORT}/${image.name}" }
`,
  );
  await startServeInNetwork(net, SERVER, config, join(work, "serve.log"));
  const readsFile = join(work, "reads.jsonl");
  const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
  net.spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(here, "nbd-trace-proxy.ts"),
      "--listen",
      `${SERVER}:${PROXY_PORT}`,
      "--to",
      `${SERVER}:10809`,
      "--out",
      readsFile,
    ],
    join(work, "proxy.log"),
    { cwd: repoRoot },
  );
  const vm = QemuMachine.start({
    net,
    mac: MAC,
    firmware: "bios",
    serialLog: join(work, "serial.log"),
    qemuLog: join(work, "qemu.log"),
  });
  try {
    await vm.waitForSerial([/bootfleet-init|bootfleet:/], 6 * 60_000);
    const started = Date.now();
    while (Date.now() - started < limitMs && !/INIT DONE/.test(vm.serial())) {
      await new Promise((r) => setTimeout(r, 500));
    }
    // The last reads of init's end and the power-off.
    await new Promise((r) => setTimeout(r, 3000));
  } finally {
    vm.stop();
  }
  if (!existsSync(readsFile)) throw new Error(`no NBD reads recorded; console:\n${vm.serial().slice(-3000)}`);
  const reads = readFileSync(readsFile, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as TracedRead)
    .sort((a, b) => a.sentMs - b.sentMs);
  const exportBytes = readFileSync(join(image.dir, "root.squashfs")).length;
  saveReadTrace(values.out, {
    source: `busybox image (test/fixtures/images/busybox-root.ts) on Debian kernel ${image.kernelVersion}, QEMU TCG, SeaBIOS + iPXE, bootfleet serve; reads until init finished`,
    exportBytes,
    reads,
  });
  process.stdout.write(
    `${reads.length} reads, ${reads.reduce((n, r) => n + r.length, 0)} bytes -> ${values.out}\n`,
  );
} finally {
  net.close();
  if (!process.env.BOOTFLEET_KEEP_RECORDING) rmSync(work, { recursive: true, force: true });
}
