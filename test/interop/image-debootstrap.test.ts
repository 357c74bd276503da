/**
 * `image build --from debootstrap:SUITE` for real, without leaving the
 * machine: mmdebstrap installs Debian's own packages (the kernel package
 * with its modules, nbd-client with its libraries, busybox-static) from a
 * local repository of the very .deb files the mirror has (see
 * local-debian-mirror.ts). The hook then takes nbd-client, busybox and the
 * kernel modules from the image itself. After `image shell` adds an init
 * and `image commit` makes a version of it, the image boots in QEMU over
 * Debian's nbd-server.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type BuildImageResult, buildImage } from "../../src/images/build-image.js";
import { commitImage } from "../../src/images/commit-image.js";
import { imageShell } from "../../src/images/image-shell.js";
import { hostDebianArch } from "../../src/images/image-source.js";
import type { ProgressReporter } from "../../src/images/progress-reporter.js";
import {
  BootNetwork,
  bootQemu,
  SERVER_IP,
  startEventListener,
  startNbdServer,
} from "../fixtures/images/boot-harness.js";
import { ensureDebianKernel } from "../fixtures/images/debian-kernel.js";
import { ensureLocalMirror } from "../fixtures/images/local-debian-mirror.js";
import { requirePeers } from "../support/require-peers.js";

describe("image build --from debootstrap:SUITE (mmdebstrap, local repository)", { timeout: 900_000 }, () => {
  let work: string;
  let data: string;
  let mirror: string;
  let built: BuildImageResult;
  const notes: string[] = [];
  const steps: string[] = [];

  before(async () => {
    requirePeers(
      [
        "mmdebstrap",
        "mksquashfs",
        "unsquashfs",
        "apt-get",
        "dpkg-deb",
        "qemu-system-x86_64",
        "nbd-server",
        "ip",
      ],
      {
        root: true,
      },
    );
    if (hostDebianArch() !== "amd64") throw new Error("this test boots an amd64 image; run it on amd64");
    // The kernel package the mirror offers is the one the hook tests cache.
    ensureDebianKernel();
    mirror = ensureLocalMirror(["linux-image-amd64", "nbd-client", "busybox-static"]);
    work = mkdtempSync(join(tmpdir(), "bf-img-deb-"));
    data = join(work, "data");
    const progress: ProgressReporter = {
      step: (l) => steps.push(l),
      update() {},
      note: (t) => notes.push(t),
      done() {},
    };
    built = await buildImage(
      {
        dataDir: data,
        name: "bookworm",
        from: "debootstrap:bookworm",
        mirror,
        // extract: unpack the packages without running their maintainer
        // scripts, which need a full base system the local repository lacks.
        variant: "extract",
        include: ["busybox-static"],
        compression: "lz4",
      },
      progress,
    );
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("bootstraps with mmdebstrap, adding the kernel and nbd-client to the packages", () => {
    assert.equal(steps[0], "bootstrapping Debian bookworm");
    assert.ok(
      notes.some((n) => /^mmdebstrap: .*success/.test(n)),
      notes.join("\n"),
    );
    assert.deepEqual(built.manifest.source, {
      kind: "debootstrap",
      tool: "mmdebstrap",
      suite: "bookworm",
      mirror,
      include: ["busybox-static", "linux-image-amd64", "nbd-client"],
      variant: "extract",
    });
    assert.match(built.manifest.kernel_version, /^6\.1\.0-\d+-amd64$/);
  });

  it("the hook comes from the image: its busybox, its nbd-client and libraries, its modules", () => {
    assert.equal(built.manifest.hook.busybox, "image:/bin/busybox");
    assert.match(built.manifest.hook.nbd_client, /^image:\/(usr\/)?sbin\/nbd-client$/);
    assert.equal(built.manifest.hook.modules_from, undefined);
    for (const m of ["nbd", "squashfs", "overlay", "virtio_net", "e1000"]) {
      assert.ok(built.manifest.hook.modules.includes(m), m);
    }
  });

  it("keeps the bootstrapped tree as the source", () => {
    assert.ok(
      existsSync(join(data, "images/bookworm/source/boot", `vmlinuz-${built.manifest.kernel_version}`)),
    );
    assert.ok(existsSync(join(data, "images/bookworm/source/bin/busybox")));
  });

  it("after image shell adds an init and image commit, it boots over NBD", async () => {
    const token = `DEB-${randomBytes(4).toString("hex")}`;
    const shell = await imageShell({
      dataDir: data,
      name: "bookworm",
      capture: true,
      command: [
        "/bin/busybox",
        "sh",
        "-c",
        `/bin/busybox mkdir -p /sbin /proc /sys /run && printf '%s\\n' '#!/bin/busybox sh' 'echo "DEBOOTSTRAP IMAGE ${token}"' 'echo "HOSTNAME $(/bin/busybox cat /etc/hostname)"' '/bin/busybox poweroff -f' > /sbin/init && /bin/busybox chmod 755 /sbin/init && echo ok`,
      ],
    });
    assert.equal(shell.exitCode, 0, shell.stdout);
    const c = await commitImage({ dataDir: data, name: "bookworm", compression: "lz4" });
    const net = new BootNetwork("deb");
    try {
      net.open();
      const exportName = `bookworm@${c.version}`;
      startNbdServer(net, work, 10809, { [exportName]: c.paths.rootfs });
      const listener = startEventListener(net, 8080, join(work, "layers"));
      await listener.waitForLine((l) => l.includes('"listening"'), "listening");
      await sleep(500);
      const mac = "52:54:00:30:00:20";
      const r = await bootQemu(net, {
        kernel: c.paths.kernel,
        initrd: c.paths.initrd,
        mac,
        serialLog: join(work, "serial.log"),
        append: [
          "console=ttyS0",
          `ip=198.18.30.20::${SERVER_IP}:255.255.255.0::eth0:off`,
          `bootfleet.nbd=${SERVER_IP}:10809/${exportName}`,
          `bootfleet.http=http://${SERVER_IP}:8080`,
          `bootfleet.mac=${mac}`,
          "bootfleet.hostname=deb-1",
        ].join(" "),
      });
      assert.equal(r.timedOut, false, r.log);
      assert.match(r.log, new RegExp(`DEBOOTSTRAP IMAGE ${token}`), r.log);
      assert.match(r.log, /HOSTNAME deb-1/);
      const stages = listener
        .lines()
        .map((l) => JSON.parse(l) as { kind: string; json?: { stage: string } })
        .filter((e) => e.kind === "event")
        .map((e) => e.json?.stage);
      assert.deepEqual(stages, ["initrd", "root-mounted", "layers-applied", "init"]);
      process.stderr.write(
        `# debootstrap image: build ${built.durationMs} ms, boot to power-off ${r.ms} ms\n`,
      );
    } finally {
      await net.close();
    }
  });
});
