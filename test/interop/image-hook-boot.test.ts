/**
 * The client hook, booted for real: a small busybox image with Debian's
 * kernel is built with buildImage, served over NBD (Debian's nbd-server, and
 * bootfleet's NBD service over the image catalog), and booted in QEMU (TCG)
 * on a tap in a network namespace of its own (198.18.30.0/24). A boot passes
 * only when the serial console shows the token baked into the image and the
 * per-machine layer files, and the event listener received every stage.
 * Everything started is stopped by PID and the namespace removed, also when
 * a test fails.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { LAYER_PREFIX } from "../../src/boot/layer-initrd.js";
import { type BuildImageResult, buildImage } from "../../src/images/build-image.js";
import { CpioNewcWriter } from "../../src/images/cpio-newc-writer.js";
import { IN_USE_DIR, ImageCatalog } from "../../src/images/image-catalog.js";
import { ImageError } from "../../src/images/image-error.js";
import {
  BootNetwork,
  bootQemu,
  SERVER_IP,
  type Started,
  startEventListener,
  startNbdServer,
  startUdhcpd,
  stop,
} from "../fixtures/images/boot-harness.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { type DebianKernel, ensureDebianKernel, REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import { requirePeers } from "../support/require-peers.js";

const HTTP_PORT = 8080;
const NBD_SERVER_PORT = 10809; // Debian's nbd-server
const BOOTFLEET_NBD_PORT = 10810; // bootfleet's NBD service
const STAGES = ["initrd", "root-mounted", "layers-applied", "init"];
const FROM_INITRD = "/etc/bootfleet-test/from-initrd";
const FROM_HTTP = "/etc/bootfleet-test/from-http";
const RSYSLOG_CONF = "/etc/rsyslog.d/90-bootfleet.conf";

interface StageEvent {
  readonly mac: string;
  readonly contentType: string;
  readonly json: { stage: string; detail: Record<string, unknown> } | null;
}

describe("client hook boots a bootfleet image in QEMU", { timeout: 900_000 }, () => {
  let work: string;
  let kernel: DebianKernel;
  let built: BuildImageResult;
  let net: BootNetwork;
  let listener: Started;
  const token = `TOKEN-${randomBytes(6).toString("hex")}`;
  const layersDir = () => join(work, "layers");

  before(async () => {
    requirePeers(
      [
        "qemu-system-x86_64",
        "nbd-server",
        "nbd-client",
        "mksquashfs",
        "busybox",
        "ip",
        "apt-get",
        "dpkg-deb",
      ],
      { root: true },
    );
    work = mkdtempSync(join(tmpdir(), "bf-img-boot-"));
    kernel = ensureDebianKernel();
    const root = join(work, "root");
    await makeBusyboxRoot(root, {
      token,
      vmlinuz: kernel.vmlinuz,
      kernelVersion: kernel.version,
      printFiles: [FROM_INITRD, FROM_HTTP, RSYSLOG_CONF],
    });
    built = await buildImage({
      dataDir: join(work, "data"),
      name: "hooktest",
      from: root,
      modulesFrom: kernel.root,
    });
    net = new BootNetwork("boot");
    net.open();
    listener = startEventListener(net, HTTP_PORT, layersDir());
    await listener.waitForLine((l) => l.includes('"listening"'), "listening");
  });

  /** bootfleet NBD services started by a test; stopped after it, passed or not. */
  const running: Started[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) await stop(s.child);
  });

  after(async () => {
    await net?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The image's initrd with a layer cpio appended, as iPXE loads two initrds. */
  function initrdWithLayer(name: string, content: string): string {
    const layer = new CpioNewcWriter().file(`${LAYER_PREFIX}${FROM_INITRD}`, content).finish();
    const path = join(work, `${name}.initrd`);
    writeFileSync(path, Buffer.concat([readFileSync(built.paths.initrd), layer]));
    return path;
  }

  function serveHttpLayer(mac: string, content: string): void {
    const dir = layersDir();
    rmSync(join(dir, `${mac}.cpio`), { force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `${mac}.cpio`),
      new CpioNewcWriter().file(`${LAYER_PREFIX}${FROM_HTTP}`, content).finish(),
    );
  }

  /** bootfleet's NBD service over the catalog, in the namespace (nbd-service-runner.ts). */
  async function startBootfleetNbd(): Promise<Started> {
    const service = net.start(
      "nbd-service",
      process.execPath,
      [
        "--import",
        "tsx",
        join(REPO_ROOT, "test/fixtures/images/nbd-service-runner.ts"),
        join(work, "data"),
        SERVER_IP,
        String(BOOTFLEET_NBD_PORT),
      ],
      { cwd: REPO_ROOT },
    );
    running.push(service);
    await service.waitForLine((l) => l.includes('"listening"'), "listening", 60_000);
    return service;
  }

  function stageEvents(from: number, mac: string): StageEvent[] {
    return listener
      .lines()
      .slice(from)
      .map((l) => JSON.parse(l) as { kind: string } & StageEvent)
      .filter((e) => e.kind === "event" && e.mac === mac);
  }

  function commonArgs(mac: string, nbd: string, hostname: string): string {
    return [
      "console=ttyS0",
      "panic=0",
      `bootfleet.server=${SERVER_IP}`,
      `bootfleet.nbd=${nbd}`,
      `bootfleet.http=http://${SERVER_IP}:${HTTP_PORT}`,
      `bootfleet.mac=${mac}`,
      `bootfleet.hostname=${hostname}`,
      `bootfleet.layers=http://${SERVER_IP}:${HTTP_PORT}/boot/${mac}/layers.cpio`,
    ].join(" ");
  }

  function assertBooted(log: string, events: StageEvent[], mac: string, hostname: string, layers: string[]) {
    assert.match(log, new RegExp(`IMAGE TOKEN ${token}`), log);
    assert.match(log, new RegExp(`FILE ${FROM_INITRD}: ${layers[0]}`), log);
    assert.match(log, new RegExp(`FILE ${FROM_HTTP}: ${layers[1]}`), log);
    assert.match(log, new RegExp(`HOSTNAME ${hostname} ${hostname}`), log);
    assert.match(log, /ROOT overlay \/ overlay /, log);
    assert.match(log, /PID 1\b/, log);
    assert.doesNotMatch(log, /Kernel panic/);
    assert.deepEqual(
      events.map((e) => e.json?.stage),
      STAGES,
      `stages received: ${JSON.stringify(events)}`,
    );
    for (const e of events) {
      assert.equal(e.mac, mac);
      assert.equal(e.contentType, "application/json");
    }
    return Object.fromEntries(events.map((e) => [e.json!.stage, e.json!.detail]));
  }

  it("over Debian's nbd-server, with DHCP from udhcpd, layers from the initrd and from HTTP", async () => {
    const mac = "52:54:00:30:00:10";
    const exportName = `hooktest@${built.version}`;
    const nbd = startNbdServer(net, work, NBD_SERVER_PORT, { [exportName]: built.paths.rootfs });
    const dhcp = startUdhcpd(net, work, subnetHost(10));
    await sleep(500); // nbd-server and udhcpd have no "ready" line
    const layerA = `LAYER-INITRD-${randomBytes(4).toString("hex")}`;
    const layerB = `LAYER-HTTP-${randomBytes(4).toString("hex")}`;
    serveHttpLayer(mac, `${layerB}\n`);
    const from = listener.lines().length;
    const r = await bootQemu(net, {
      kernel: built.paths.kernel,
      initrd: initrdWithLayer("dhcp", `${layerA}\n`),
      append: `${commonArgs(mac, `${SERVER_IP}:${NBD_SERVER_PORT}/${exportName}`, "lab3-14")} bootfleet.syslog=${SERVER_IP}:5514`,
      mac,
      serialLog: join(work, "serial-dhcp.log"),
    });
    assert.equal(r.timedOut, false, `QEMU did not power off:\n${r.log}`);
    const details = assertBooted(r.log, stageEvents(from, mac), mac, "lab3-14", [layerA, layerB]);
    assert.equal(details.initrd?.ip, subnetHost(10));
    assert.equal(details.initrd?.kernel, kernel.version);
    assert.equal(details["root-mounted"]?.export, exportName);
    assert.equal(details["root-mounted"]?.bytes, built.manifest.size);
    assert.equal(details["root-mounted"]?.upper, "tmpfs");
    assert.equal(details["layers-applied"]?.sources, "initrd,http");
    assert.match(r.log, new RegExp(`FILE ${RSYSLOG_CONF}: \\*\\.\\* @${SERVER_IP}:5514`));
    assert.match(dhcp.output(), /sending ACK to 198\.18\.30\.10/);
    assert.equal(nbd.child.exitCode, null, `nbd-server died:\n${nbd.output()}`);
    process.stderr.write(`# boot over nbd-server to power-off: ${r.ms} ms\n`);
  });

  it("over bootfleet's NBD service (current version, static ip=), holding the version in use", async () => {
    const mac = "52:54:00:30:00:11";
    const service = await startBootfleetNbd();
    const layerA = `LAYER-INITRD-${randomBytes(4).toString("hex")}`;
    const layerB = `LAYER-HTTP-${randomBytes(4).toString("hex")}`;
    serveHttpLayer(mac, `${layerB}\n`);
    const catalog = new ImageCatalog(join(work, "data"));
    // A lab PC's local scratch disk: a partition, found by its label, holds the writable layer.
    const disk = join(work, "scratch.img");
    execFileSync("mke2fs", ["-q", "-t", "ext4", "-L", "BFSCRATCH", disk, "64M"]);
    const from = listener.lines().length;
    let heldWhileRunning: boolean | undefined;
    let refusedWhileRunning: unknown;
    const r = await bootQemu(
      net,
      {
        kernel: built.paths.kernel,
        initrd: initrdWithLayer("static", `${layerA}\n`),
        append: `${commonArgs(mac, `${SERVER_IP}:${BOOTFLEET_NBD_PORT}/hooktest`, "lab3-15")} ip=${subnetHost(11)}::${SERVER_IP}:255.255.255.0::eth0:off bootfleet.scratch=BFSCRATCH bftest.hold`,
        mac,
        disk,
        serialLog: join(work, "serial-static.log"),
      },
      {
        // While the image's init runs (it waits 8 s before powering off), the
        // server process holds the version; this process sees it on disk.
        until: (log) => {
          if (heldWhileRunning === undefined && log.includes("INIT DONE")) {
            heldWhileRunning = catalog.isInUse("hooktest", built.version);
            catalog.removeVersion("hooktest", built.version).then(
              () => (refusedWhileRunning = new Error("removed while in use")),
              (e) => (refusedWhileRunning = e),
            );
          }
          return false;
        },
      },
    );
    assert.equal(r.timedOut, false, `QEMU did not power off:\n${r.log}`);
    const details = assertBooted(r.log, stageEvents(from, mac), mac, "lab3-15", [layerA, layerB]);
    assert.equal(details.initrd?.ip, subnetHost(11));
    // The client asked for "hooktest": the service answered with the current version.
    assert.equal(details["root-mounted"]?.export, "hooktest");
    assert.equal(details["root-mounted"]?.upper, "scratch:/dev/vda", r.log);
    assert.match(r.log, /ROOT overlay \/ overlay .*upperdir=\/bootfleet\/rw\/bootfleet-upper/);
    // What the client wrote landed on its disk: /etc/hostname in the upper layer.
    const upper = execFileSync("debugfs", ["-R", "cat /bootfleet-upper/etc/hostname", disk], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    assert.equal(upper, "lab3-15\n");
    const connect = service
      .lines()
      .map((l) => JSON.parse(l) as { kind: string; type?: string; detail?: Record<string, unknown> })
      .find((e) => e.kind === "event" && e.type === "nbd.connect");
    assert.ok(connect, `no nbd.connect event:\n${service.output()}`);
    assert.match(JSON.stringify(connect), new RegExp(`hooktest@${built.version}`));
    assert.equal(heldWhileRunning, true, "the version was not marked in use while the client ran");
    assert.ok(refusedWhileRunning instanceof ImageError, String(refusedWhileRunning));
    assert.equal(refusedWhileRunning.code, "VERSION_IN_USE", refusedWhileRunning.message);
    // A powered-off VM sends no FIN, so the connection lives until the
    // service closes it: stop the service and the release must clear the mark.
    await stop(service.child);
    assert.deepEqual(
      readdirSync(join(work, "data/images/hooktest", IN_USE_DIR)).flatMap((v) =>
        readdirSync(join(work, "data/images/hooktest", IN_USE_DIR, v)),
      ),
      [],
      "in-use marks left after the service released its connections",
    );
    assert.equal(catalog.isInUse("hooktest", built.version), false);
    process.stderr.write(`# boot over bootfleet NBD to power-off: ${r.ms} ms (8 s of it the hold)\n`);
  });

  it("a missing export: stage 'failed' reported, message on the console, rescue shell instead of a panic", async () => {
    const mac = "52:54:00:30:00:12";
    const from = listener.lines().length;
    const missing = "hooktest@20000101-000000";
    const service = await startBootfleetNbd();
    const r = await bootQemu(
      net,
      {
        kernel: built.paths.kernel,
        initrd: built.paths.initrd,
        append: `${commonArgs(mac, `${SERVER_IP}:${BOOTFLEET_NBD_PORT}/${missing}`, "lab3-16")} ip=${subnetHost(12)}::${SERVER_IP}:255.255.255.0::eth0:off bootfleet.timeout=10`,
        mac,
        serialLog: join(work, "serial-fail.log"),
      },
      { until: (log) => /built-in shell \(ash\)/.test(log) },
    );
    assert.equal(r.timedOut, false, `no rescue shell:\n${r.log}`);
    assert.match(r.log, /bootfleet: \[[\d.]+\] FAILED at nbd: .*hooktest@20000101-000000/);
    assert.match(r.log, /rescue shell/);
    assert.doesNotMatch(r.log, /Kernel panic/);
    const events = stageEvents(from, mac);
    assert.deepEqual(
      events.map((e) => e.json?.stage),
      ["initrd", "failed"],
      JSON.stringify(events),
    );
    const failed = events[1]!.json!.detail;
    assert.equal(failed.stage, "nbd");
    assert.match(String(failed.reason), /hooktest@20000101-000000/);
    await stop(service.child);
  });
});

function subnetHost(n: number): string {
  return `198.18.30.${n}`;
}
