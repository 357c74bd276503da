/**
 * `bootfleet image build` against the real tools: mksquashfs/unsquashfs,
 * cpio and zcat to read back what was written, mke2fs and mkfs.erofs to make
 * image files to import, loop mounts, a tmpfs that fills up, and Debian's
 * kernel package for the kernel and its modules. Every failure must leave no
 * version and nothing half-written behind.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { type BuildImageOptions, type BuildImageResult, buildImage } from "../../src/images/build-image.js";
import { commitImage } from "../../src/images/commit-image.js";
import { ImageCatalog } from "../../src/images/image-catalog.js";
import { ImageError } from "../../src/images/image-error.js";
import { imageShell } from "../../src/images/image-shell.js";
import { formatImageListing, listImages } from "../../src/images/list-images.js";
import { ProgressBar, type ProgressReporter } from "../../src/images/progress-reporter.js";
import { removeImage } from "../../src/images/remove-image.js";
import { mountsUnder } from "../../src/images/squash-root.js";
import { useImage } from "../../src/images/use-image.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { type DebianKernel, ensureDebianKernel } from "../fixtures/images/debian-kernel.js";
import { requirePeers } from "../support/require-peers.js";

let work: string;
let kernel: DebianKernel;
let root: string;
let n = 0;
const token = `TOKEN-${randomBytes(4).toString("hex")}`;

const sh = (cmd: string, args: string[], input?: Buffer) =>
  execFileSync(cmd, args, { input, maxBuffer: 1 << 30, stdio: ["pipe", "pipe", "pipe"] });
const dataDir = () => join(work, `data-${++n}`);

function build(opts: Partial<BuildImageOptions> & { dataDir: string }, progress?: ProgressReporter) {
  return buildImage({ name: "debian", from: root, modulesFrom: kernel.root, ...opts }, progress);
}

/** Nothing but complete versions, `current`, `source` and in-use marks may remain. */
async function assertClean(data: string, name = "debian"): Promise<void> {
  const dir = join(data, "images", name);
  if (!existsSync(dir)) return;
  const stray = readdirSync(dir).filter((e) => e.startsWith(".") && e !== ".in-use");
  assert.deepEqual(stray, [], `left behind in ${dir}`);
  assert.deepEqual(await mountsUnder(dir), [], "mounts left");
}

function rejectsWith(code: string, text: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ImageError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, text);
    return true;
  };
}

/** File names in a gzip'd newc cpio, listed by cpio(1). */
function cpioList(gz: Buffer): string[] {
  return sh("cpio", ["-t", "--quiet"], sh("zcat", [], gz))
    .toString()
    .trim()
    .split("\n");
}

function cpioCat(gz: Buffer, path: string): Buffer {
  return sh("cpio", ["-i", "--quiet", "--to-stdout", path], sh("zcat", [], gz));
}

before(async () => {
  requirePeers(
    ["mksquashfs", "unsquashfs", "cpio", "busybox", "mke2fs", "mkfs.erofs", "unshare", "apt-get", "dpkg-deb"],
    {
      root: true,
    },
  );
  work = mkdtempSync(join(tmpdir(), "bf-img-build-"));
  kernel = ensureDebianKernel();
  root = join(work, "root");
  await makeBusyboxRoot(root, { token, vmlinuz: kernel.vmlinuz, kernelVersion: kernel.version });
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("image build from a folder", () => {
  let data: string;
  let r: BuildImageResult;
  const steps: string[] = [];
  const squashUpdates: number[] = [];
  const barLines: string[] = [];

  before(async () => {
    data = dataDir();
    let current = "";
    const bar = new ProgressBar({
      isTTY: false,
      write: (t: string) => barLines.push(...t.split("\n").filter(Boolean)),
    });
    const recorder: ProgressReporter = {
      step: (l) => {
        current = l;
        steps.push(l);
        bar.step(l);
      },
      update: (f) => {
        if (current === "squashing") squashUpdates.push(f);
        bar.update(f);
      },
      note: (t) => bar.note(t),
      done: () => bar.done(),
    };
    r = await build({ dataDir: data }, recorder);
  });

  it("publishes a complete version and makes it current", async () => {
    assert.match(r.version, /^\d{8}-\d{6}$/);
    assert.equal(readlinkSync(join(data, "images/debian/current")), r.version);
    assert.deepEqual(readdirSync(r.paths.dir).sort(), [
      "initrd.img",
      "manifest.json",
      "root.squashfs",
      "vmlinuz",
    ]);
    await assertClean(data);
  });

  it("root.squashfs holds the tree; its size and sha256 are in the manifest", () => {
    const listing = sh("unsquashfs", ["-l", r.paths.rootfs]).toString();
    for (const p of ["sbin/init", "bin/busybox", "usr/sbin/nbd-client", "etc/hostname"]) {
      assert.match(listing, new RegExp(`squashfs-root/${p}\\n`), p);
    }
    assert.match(sh("unsquashfs", ["-cat", r.paths.rootfs, "sbin/init"]).toString(), new RegExp(token));
    const sum = sh("sha256sum", [r.paths.rootfs]).toString().split(" ")[0];
    const m = JSON.parse(readFileSync(r.paths.manifest, "utf8"));
    assert.equal(m.sha256, sum);
    assert.equal(m.size, readFileSync(r.paths.rootfs).length);
    assert.equal(m.kernel_version, kernel.version);
    assert.equal(m.arch, "amd64");
    assert.equal(m.source.kind, "dir");
    assert.equal(m.source.path, root);
    assert.ok(!Number.isNaN(Date.parse(m.created)));
    assert.equal(m.initrd.sha256, sh("sha256sum", [r.paths.initrd]).toString().split(" ")[0]);
  });

  it("vmlinuz is the image's kernel", () => {
    assert.deepEqual(readFileSync(r.paths.kernel), readFileSync(kernel.vmlinuz));
  });

  it("initrd.img carries the hook: /init, busybox, nbd-client with its loader and libraries, modules", () => {
    const gz = readFileSync(r.paths.initrd);
    assert.equal(gz.length % 4, 0, "padded for a following initrd");
    const files = cpioList(gz);
    for (const f of [
      "init",
      "dev/console",
      "bootfleet/bin/busybox",
      "bootfleet/udhcpc.script",
      "bootfleet/sbin/nbd-client",
      "bootfleet/libexec/nbd-client",
      "bootfleet/lib/ld-linux-x86-64.so.2",
      "bootfleet/lib/libc.so.6",
      "bootfleet/lib/libgnutls.so.30",
      "bootfleet/lib/libnl-genl-3.so.200",
      "bootfleet/modules/nbd.ko",
      "bootfleet/modules/squashfs.ko",
      "bootfleet/modules/overlay.ko",
      "bootfleet/modules/virtio_net.ko",
      "bootfleet/modules/load-order",
      "bootfleet/hook.conf",
    ]) {
      assert.ok(files.includes(f), `${f} missing from the hook: ${files.join(" ")}`);
    }
    const init = readFileSync(new URL("../../src/client-hook/bootfleet-init.sh", import.meta.url));
    assert.deepEqual(cpioCat(gz, "init"), init);
    assert.deepEqual(cpioCat(gz, "bootfleet/bin/busybox"), readFileSync("/bin/busybox"));
    assert.match(cpioCat(gz, "bootfleet/sbin/nbd-client").toString(), /--library-path \/bootfleet\/lib/);
    // bootfleet-nbd, the reconnecting NBD connector, as built for x86_64 (npm run build).
    const helper = readFileSync(new URL("../../native/build/client/x86_64/bootfleet-nbd", import.meta.url));
    assert.deepEqual(cpioCat(gz, "bootfleet/sbin/bootfleet-nbd"), helper);
    assert.equal(
      r.manifest.hook.nbd_helper,
      `bootfleet-nbd:x86_64:sha256:${createHash("sha256").update(helper).digest("hex")}`,
    );
    assert.match(
      cpioCat(gz, "bootfleet/hook.conf").toString(),
      new RegExp(`BOOTFLEET_IMAGE='debian@${r.version}'`),
    );
  });

  it("loads modules after what they depend on (as their .modinfo says)", () => {
    const dir = join(work, "hook-unpacked");
    mkdirSync(dir, { recursive: true });
    execFileSync("sh", ["-c", `zcat '${r.paths.initrd}' | cpio -i -d --quiet`], { cwd: dir });
    const order = readFileSync(join(dir, "bootfleet/modules/load-order"), "utf8").trim().split("\n");
    assert.deepEqual(order.slice(0, 3), ["nbd", "squashfs", "overlay"]);
    assert.deepEqual([...r.manifest.hook.modules], order);
    for (const [i, name] of order.entries()) {
      const ko = readFileSync(join(dir, `bootfleet/modules/${name}.ko`));
      const deps = /depends=([^\0]*)/.exec(ko.toString("latin1"))?.[1]?.split(",").filter(Boolean) ?? [];
      for (const d of deps) {
        const at = order.indexOf(d.replace(/-/g, "_"));
        assert.ok(at >= 0 && at < i, `${name} needs ${d}, loaded at ${at}`);
      }
    }
  });

  it("keeps the source tree for image shell", () => {
    assert.deepEqual(
      readFileSync(join(data, "images/debian/source/sbin/init")),
      readFileSync(join(root, "sbin/init")),
    );
  });

  it("reports its steps and mksquashfs's progress, a line every 10% without a terminal", () => {
    assert.deepEqual(steps, [
      "kernel",
      "client hook",
      "squashing",
      "checksums",
      "keeping the source tree",
      "publishing",
    ]);
    // How many updates mksquashfs prints depends on how long it runs; the
    // parsing itself is checked against captured output in squash-root.test.ts.
    assert.ok(squashUpdates.length >= 1, `updates: ${squashUpdates}`);
    assert.equal(squashUpdates[squashUpdates.length - 1], 1);
    for (let i = 1; i < squashUpdates.length; i++) assert.ok(squashUpdates[i]! >= squashUpdates[i - 1]!);
    const pct = barLines.filter((l) => l.startsWith("squashing: ")).map((l) => Number(/(\d+)%/.exec(l)![1]));
    assert.ok(pct.length >= 1 && pct.length <= 11, `${squashUpdates.join(",")}\n${barLines.join("\n")}`);
    for (let i = 1; i < pct.length; i++) assert.ok(pct[i]! > pct[i - 1]!, "each 10% step once");
    assert.equal(pct[pct.length - 1], 100);
    for (const p of pct) assert.equal(p % 10, 0);
  });
});

describe("image build details", () => {
  it("appends the hook to the image's own initrd, aligned", async () => {
    const withInitrd = join(work, "root-initrd");
    cpSync(root, withInitrd, { recursive: true, verbatimSymlinks: true });
    const baseDir = join(work, "base-initrd");
    mkdirSync(join(baseDir, "etc"), { recursive: true });
    writeFileSync(join(baseDir, "init"), "#!/bin/sh\necho original\n");
    writeFileSync(join(baseDir, "etc/base-marker"), "base\n");
    const cpio = execFileSync("sh", ["-c", "find . | cpio -o -H newc --quiet"], { cwd: baseDir });
    const base = Buffer.concat([gzipSync(cpio), Buffer.from([1, 2, 3])]); // odd length on purpose
    writeFileSync(join(withInitrd, `boot/initrd.img-${kernel.version}`), base);
    const r = await build({ dataDir: dataDir(), from: withInitrd });
    const out = readFileSync(r.paths.initrd);
    assert.deepEqual(out.subarray(0, base.length), base);
    const hookAt = base.length + ((4 - (base.length % 4)) % 4);
    assert.deepEqual(out.subarray(base.length, hookAt), Buffer.alloc(hookAt - base.length));
    assert.deepEqual([...out.subarray(hookAt, hookAt + 2)], [0x1f, 0x8b]);
    assert.ok(cpioList(out.subarray(hookAt)).includes("init"));
    assert.equal(r.manifest.hook.base_initrd, `/boot/initrd.img-${kernel.version}`);
  });

  it("takes busybox and nbd-client from the server when the image has none", async () => {
    const bare = join(work, "root-bare");
    await makeBusyboxRoot(bare, {
      token,
      vmlinuz: kernel.vmlinuz,
      kernelVersion: kernel.version,
      withoutNbdClient: true,
    });
    rmSync(join(bare, "bin/busybox"));
    const notes: string[] = [];
    const r = await build(
      { dataDir: dataDir(), from: bare },
      { step() {}, update() {}, done() {}, note: (t) => notes.push(t) },
    );
    assert.equal(r.manifest.hook.busybox, "host:/bin/busybox");
    assert.equal(r.manifest.hook.nbd_client, "host:/usr/sbin/nbd-client");
    assert.ok(
      notes.some((t) => /nbd-client for the hook: the server's/.test(t)),
      notes.join("\n"),
    );
  });
});

describe("image build from image files", () => {
  let squashfs: string;

  before(async () => {
    squashfs = (await build({ dataDir: dataDir() })).paths.rootfs;
  });

  it("a squashfs is used as is, its tree read through a read-only loop mount", async () => {
    const data = dataDir();
    const r = await build({ dataDir: data, name: "fromsqfs", from: squashfs });
    assert.equal(r.manifest.sha256, sh("sha256sum", [squashfs]).toString().split(" ")[0]);
    assert.deepEqual(r.manifest.source, { kind: "file", path: squashfs, format: "squashfs" });
    assert.equal(r.manifest.hook.nbd_client, "image:/usr/sbin/nbd-client");
    assert.equal(
      existsSync(join(data, "images/fromsqfs/source")),
      false,
      "no source tree for a file by default",
    );
    await assertClean(data, "fromsqfs");
  });

  for (const format of ["ext4", "erofs"] as const) {
    it(`an ${format} image is squashed`, async () => {
      const file = join(work, `root.${format}`);
      if (format === "ext4") sh("mke2fs", ["-q", "-t", "ext4", "-d", root, file, "64M"]);
      else sh("mkfs.erofs", ["--quiet", file, root]);
      const data = dataDir();
      const r = await build({ dataDir: data, name: `from${format}`, from: file, keepSource: true });
      assert.equal(r.manifest.source.kind, "file");
      assert.match(sh("unsquashfs", ["-cat", r.paths.rootfs, "sbin/init"]).toString(), new RegExp(token));
      assert.ok(existsSync(join(data, `images/from${format}/source/sbin/init`)));
      await assertClean(data, `from${format}`);
    });
  }
});

describe("image build failures leave nothing behind", () => {
  it("a source without a kernel", async () => {
    const noKernel = join(work, "root-nokernel");
    await makeBusyboxRoot(noKernel, { token });
    const data = dataDir();
    await assert.rejects(
      build({ dataDir: data, from: noKernel }),
      rejectsWith("NO_KERNEL", /no kernel in .*boot .*apt-get install linux-image-amd64.*debootstrap:SUITE/s),
    );
    assert.deepEqual(await new ImageCatalog(data).versions("debian"), []);
    await assertClean(data);
    assert.equal(existsSync(join(data, "images/debian/.lock")), false);
  });

  it("mksquashfs missing", async () => {
    const data = dataDir();
    await assert.rejects(
      build({ dataDir: data, mksquashfs: "/nonexistent/mksquashfs" }),
      rejectsWith(
        "TOOL_MISSING",
        /mksquashfs not found at \/nonexistent\/mksquashfs: install it with 'apt-get install squashfs-tools'/,
      ),
    );
    assert.deepEqual(await new ImageCatalog(data).versions("debian"), []);
    await assertClean(data);
  });

  it("a full disk", async () => {
    const big = join(work, "root-big");
    cpSync(root, big, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(big, "big.bin"), randomBytes(40 << 20));
    const data = dataDir();
    mkdirSync(data);
    sh("mount", ["-t", "tmpfs", "-o", "size=32m", "bf-img-full", data]);
    try {
      await assert.rejects(
        build({ dataDir: data, from: big, keepSource: false }),
        rejectsWith(
          "DISK_FULL",
          /no space left on the disk of .* while squashing: free some space .*nothing of this build was kept/,
        ),
      );
      assert.deepEqual(await new ImageCatalog(data).versions("debian"), []);
      await assertClean(data);
    } finally {
      sh("umount", [data]);
    }
  });

  it("missing or unknown sources, bad names", async () => {
    const data = dataDir();
    await assert.rejects(
      build({ dataDir: data, from: join(work, "nothere") }),
      rejectsWith("SOURCE_MISSING", /no such folder or file/),
    );
    const junk = join(work, "junk.img");
    writeFileSync(junk, randomBytes(4096));
    await assert.rejects(
      build({ dataDir: data, from: junk }),
      rejectsWith("SOURCE_INVALID", /not a squashfs, ext4 or erofs image/),
    );
    await assert.rejects(
      build({ dataDir: data, from: "debootstrap:Bad Suite" }),
      rejectsWith("SOURCE_INVALID", /invalid suite/),
    );
    await assert.rejects(
      build({ dataDir: data, name: "Debian" }),
      rejectsWith("IMAGE_NAME_INVALID", /lower-case/),
    );
    await assert.rejects(
      build({ dataDir: data, keep: 0 }),
      rejectsWith("SOURCE_INVALID", /images_keep must be/),
    );
  });

  it("no nbd-client anywhere, no modules for the kernel", async () => {
    const bare = join(work, "root-nonbd");
    await makeBusyboxRoot(bare, {
      token,
      vmlinuz: kernel.vmlinuz,
      kernelVersion: kernel.version,
      withoutNbdClient: true,
    });
    const emptyHost = join(work, "empty-host");
    mkdirSync(emptyHost, { recursive: true });
    const data = dataDir();
    // No bootfleet-nbd build either (an architecture without one).
    await assert.rejects(
      build({ dataDir: data, from: bare, hostRoot: emptyHost, clientHelpersDir: emptyHost }),
      rejectsWith("NO_NBD_CLIENT", /install the nbd-client package in the image/),
    );
    await assert.rejects(
      build({ dataDir: data, modulesFrom: emptyHost }),
      rejectsWith("NO_MODULE", new RegExp(`no /lib/modules/${kernel.version} in .*--modules-from DIR`)),
    );
    await assertClean(data);
  });

  it("bootfleet-nbd alone is enough: no nbd-client anywhere, the hook goes without it", async () => {
    const bare = join(work, "root-helper-only");
    await makeBusyboxRoot(bare, {
      token,
      vmlinuz: kernel.vmlinuz,
      kernelVersion: kernel.version,
      withoutNbdClient: true,
    });
    const emptyHost = join(work, "empty-host-2");
    mkdirSync(emptyHost, { recursive: true });
    const r = await build({ dataDir: dataDir(), from: bare, hostRoot: emptyHost });
    assert.equal(r.manifest.hook.nbd_client, "none");
    assert.match(r.manifest.hook.nbd_helper ?? "", /^bootfleet-nbd:x86_64:sha256:[0-9a-f]{64}$/);
    const files = cpioList(readFileSync(r.paths.initrd));
    assert.ok(files.includes("bootfleet/sbin/bootfleet-nbd"));
    assert.ok(!files.includes("bootfleet/sbin/nbd-client"));
  });

  it("another build of the same image running", async () => {
    const data = dataDir();
    mkdirSync(join(data, "images/debian"), { recursive: true });
    writeFileSync(join(data, "images/debian/.lock"), "1 build\n"); // pid 1 is alive
    await assert.rejects(
      build({ dataDir: data }),
      rejectsWith("SOURCE_BUSY", /'build' is running on it \(pid 1\)/),
    );
    // A lock left by a process that is gone is taken over.
    writeFileSync(join(data, "images/debian/.lock"), "999999999 build\n");
    await build({ dataDir: data, keepSource: false });
  });
});

describe("image versions: keep, use, rm, list", () => {
  it("keeps images_keep versions, switches atomically, refuses what is current or in use", async () => {
    const data = dataDir();
    const versions: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await build({ dataDir: data, keep: 2, keepSource: false });
      versions.push(r.version);
      if (i === 3) assert.deepEqual(r.pruned, [versions[1]]);
    }
    const catalog = new ImageCatalog(data);
    assert.deepEqual(await catalog.versions("debian"), versions.slice(2));
    assert.notEqual(versions[0], versions[1]);

    const used = await useImage(catalog, "debian", versions[2]!);
    assert.deepEqual(used, { name: "debian", version: versions[2], previous: versions[3] });
    assert.equal(readlinkSync(join(data, "images/debian/current")), versions[2]);
    await assert.rejects(
      useImage(catalog, "debian", versions[0]!),
      rejectsWith("VERSION_NOT_FOUND", /it has/),
    );

    await assert.rejects(
      removeImage(catalog, "debian", versions[2]),
      rejectsWith("VERSION_CURRENT", /switch first/),
    );
    const release = catalog.acquire("debian", versions[3]!, "52:54:00:30:00:20");
    await assert.rejects(
      removeImage(catalog, "debian", versions[3]),
      rejectsWith("VERSION_IN_USE", /52:54:00:30:00:20/),
    );
    // A build while a client uses the oldest kept version prunes around it.
    const r5 = await build({ dataDir: data, keep: 1, keepSource: false, catalog });
    assert.deepEqual(r5.pruned, [versions[2]]);
    assert.deepEqual(await catalog.versions("debian"), [versions[3], r5.version]);
    release();

    const listing = await listImages(catalog);
    assert.equal(listing.length, 1);
    assert.deepEqual(
      listing[0]!.versions.map((v) => [v.version, v.current, v.kernelVersion]),
      [
        [versions[3], false, kernel.version],
        [r5.version, true, kernel.version],
      ],
    );
    const table = formatImageListing(listing);
    assert.match(
      table,
      new RegExp(
        `^debian +${r5.version} +current +[\\d.]+ MiB +${kernel.version.replace(/\./g, "\\.")} `,
        "m",
      ),
    );

    await removeImage(catalog, "debian", versions[3]);
    await removeImage(catalog, "debian");
    assert.deepEqual(await catalog.list(), []);
  });
});

describe("image shell and commit", () => {
  it("runs in the source with /proc, /sys, /dev bound, leaves no mount, and commit makes a version of it", async () => {
    const data = dataDir();
    const first = await build({ dataDir: data });
    const r = await imageShell({
      dataDir: data,
      name: "debian",
      capture: true,
      command: [
        "/bin/sh",
        "-c",
        "echo changed-in-shell > /etc/from-shell; grep -c ' /proc proc ' /proc/mounts; test -c /dev/null && echo dev-ok; " +
          "test -d /sys/class && echo sys-ok; test -x /usr/sbin/policy-rc.d && echo policy-ok; exit 3",
      ],
    });
    assert.equal(r.exitCode, 3);
    assert.deepEqual(r.stdout?.trim().split("\n"), ["1", "dev-ok", "sys-ok", "policy-ok"]);
    const source = join(data, "images/debian/source");
    assert.deepEqual(await mountsUnder(source), []);
    assert.equal(
      existsSync(join(source, "usr/sbin/policy-rc.d")),
      false,
      "policy-rc.d removed after the shell",
    );

    const c = await commitImage({ dataDir: data, name: "debian" });
    assert.notEqual(c.version, first.version);
    assert.deepEqual(c.manifest.source, { kind: "commit", from_version: first.version });
    assert.equal(
      sh("unsquashfs", ["-cat", c.paths.rootfs, "etc/from-shell"]).toString(),
      "changed-in-shell\n",
    );
    assert.equal(readlinkSync(join(data, "images/debian/current")), c.version);
    await assertClean(data);
  });

  it("an image built from a file has no source to open", async () => {
    const data = dataDir();
    const sq = (await build({ dataDir: data, name: "a", keepSource: false })).paths.rootfs;
    await build({ dataDir: data, name: "b", from: sq });
    await assert.rejects(
      imageShell({ dataDir: data, name: "b", capture: true, command: ["true"] }),
      rejectsWith("SOURCE_MISSING", /has no source tree/),
    );
    await assert.rejects(
      commitImage({ dataDir: data, name: "b" }),
      rejectsWith("SOURCE_MISSING", /--keep-source/),
    );
  });
});
