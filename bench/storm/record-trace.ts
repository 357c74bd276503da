/**
 * Records the read trace the storm replays: one QEMU machine (TCG, SeaBIOS
 * with QEMU's iPXE ROM) boots a storm image (storm-image.ts) from
 * `bootfleet serve` in a private namespace (`--server`'s /24, default
 * 198.18.203.0/24), with its `bootfleet.nbd=` pointed (through the image's
 * kernel_args, which come after the planner's own and win) at
 * nbd-trace-proxy.ts, which forwards to the NBD service and notes every
 * READ. Stops when the console shows the boot has finished (the busybox
 * image's `INIT DONE`, the Debian image's ` login:` prompt) and writes the
 * trace (read-trace.ts) to `--out`, by default the image's committed trace;
 * fails when that does not show within `--seconds` of the hook starting.
 *
 *   node --import tsx bench/storm/record-trace.ts [--image busybox|debian] [--out FILE]
 *       [--seconds 180] [--server 198.18.203.1]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { QemuMachine } from "../../test/support/qemu-machine.js";
import { requirePeers } from "../../test/support/require-peers.js";
import { startServeInNetwork } from "../../test/support/serve-in-network.js";
import { TestNetwork } from "../../test/support/test-network.js";
import { saveReadTrace, type TracedRead } from "./read-trace.js";
import { buildStormImage, stormImageChoice } from "./storm-image.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const { values } = parseArgs({
  options: {
    image: { type: "string", default: "busybox" },
    out: { type: "string" },
    seconds: { type: "string", default: "180" },
    server: { type: "string", default: "198.18.203.1" },
  },
});
const choice = stormImageChoice(values.image);
const out = values.out ?? choice.trace;
if (!/^198\.1[89]\.\d{1,3}\.1$/.test(values.server))
  throw new Error(`--server ${values.server}: the .1 of a /24 inside 198.18.0.0/15 expected`);
const SERVER = values.server;
const SUBNET = SERVER.replace(/\.1$/, "");
const PROXY_PORT = 10819;
const MAC = "52:54:00:5e:00:01";
const limitMs = Math.max(10, Number(values.seconds)) * 1000;

requirePeers(["qemu-system-x86_64", "ip", "mksquashfs"], { root: true });
const work = mkdtempSync(join(tmpdir(), "bf-stormrec-"));
const net = TestNetwork.create({ tag: "stormrec", bridgeAddress: `${SERVER}/24` });
try {
  const image = await buildStormImage(work, choice.kind);
  const config = join(work, "bootfleet.yaml");
  writeFileSync(
    config,
    `server: { address: ${SERVER}, data_dir: ${image.dataDir} }
services:
  dhcp: { mode: full, lease_time: 600 }
  http: { port: 8080 }
networks:
  - subnet: ${SUBNET}.0/24
    pool: ${SUBNET}.100-${SUBNET}.149
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
    while (Date.now() - started < limitMs && !choice.bootDone.test(vm.serial())) {
      await new Promise((r) => setTimeout(r, 500));
    }
    if (!choice.bootDone.test(vm.serial()))
      throw new Error(
        `the console did not show ${choice.bootDone} within ${values.seconds} s of the hook starting (raise --seconds); console:\n${vm.serial().slice(-3000)}`,
      );
    // The last reads of the boot's end (init's power-off, the getty starting).
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
  const exportBytes = statSync(join(image.dir, "root.squashfs")).size;
  const lastReplyMs = reads.reduce((m, r) => Math.max(m, r.repliedMs), 0);
  saveReadTrace(out, {
    source: `${image.description}, QEMU TCG, SeaBIOS + iPXE, bootfleet serve; ${choice.until}`,
    exportBytes,
    reads,
  });
  process.stdout.write(
    `${reads.length} reads, ${reads.reduce((n, r) => n + r.length, 0)} bytes over ${(lastReplyMs / 1000).toFixed(1)} s -> ${out}\n`,
  );
} finally {
  net.close();
  if (!process.env.BOOTFLEET_KEEP_RECORDING) rmSync(work, { recursive: true, force: true });
}
