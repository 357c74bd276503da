/**
 * `bootfleet image build|list|use|rm|shell|commit` as a user runs them: a
 * config file with server.data_dir and images.keep, the verbs' output, exit
 * codes and error messages, progress on stderr.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { type DebianKernel, ensureDebianKernel, REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import { requirePeers } from "../support/require-peers.js";

let work: string;
let config: string;
let root: string;
let kernel: DebianKernel;

function bootfleet(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "test/fixtures/images/image-cli-runner.ts"), "image", ...args],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(async () => {
  requirePeers(["mksquashfs", "unsquashfs", "busybox", "unshare", "apt-get", "dpkg-deb"], { root: true });
  work = mkdtempSync(join(tmpdir(), "bf-img-cli-"));
  kernel = ensureDebianKernel();
  root = join(work, "root");
  await makeBusyboxRoot(root, { token: "CLI-TOKEN", vmlinuz: kernel.vmlinuz, kernelVersion: kernel.version });
  config = join(work, "bootfleet.yaml");
  writeFileSync(config, "server:\n  address: 198.18.30.1\n  data_dir: ./var\nimages:\n  keep: 2\n");
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("bootfleet image (CLI)", () => {
  const versions: string[] = [];

  it("build: a version under data_dir, progress on stderr, a summary on stdout", () => {
    const r = bootfleet("build", "debian", "--from", root, "--modules-from", kernel.root, "-c", config);
    assert.equal(r.code, 0, r.err);
    const m =
      /^built debian version (\d{8}-\d{6}) in [\d.]+ s: root.squashfs [\d.]+ MiB \(sha256 [0-9a-f]{16}\.\.\.\), kernel (\S+), (\d+) module\(s\) in the hook$/m.exec(
        r.out,
      );
    assert.ok(m, r.out);
    versions.push(m[1]!);
    assert.equal(m[2], kernel.version);
    assert.match(r.out, new RegExp(`${join(work, "var/images/debian", m[1]!).replace(/[.]/g, "\\.")}`));
    assert.match(r.out, /debian now boots/);
    assert.match(r.err, /^squashing\.\.\.$/m);
    assert.match(r.err, /^squashing: 100%$/m);
  });

  it("build --no-use leaves current alone; images.keep bounds the versions", () => {
    for (let i = 0; i < 2; i++) {
      const r = bootfleet(
        "build",
        "debian",
        "--from",
        root,
        "--modules-from",
        kernel.root,
        "--no-use",
        "-c",
        config,
      );
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /not made current: 'bootfleet image use debian \d{8}-\d{6}'/);
      versions.push(/version (\d{8}-\d{6})/.exec(r.out)![1]!);
    }
    // keep: 2; the current (first) version and the newest are never pruned.
    const list = JSON.parse(bootfleet("list", "--json", "-c", config).out);
    assert.deepEqual(
      list[0].versions.map((v: { version: string; current: boolean }) => [v.version, v.current]),
      [
        [versions[0], true],
        [versions[2], false],
      ],
    );
  });

  it("list prints a table; use switches; rm refuses the current version and removes another", () => {
    const table = bootfleet("list", "-c", config);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /^IMAGE +VERSION +SIZE +KERNEL +CREATED +SOURCE$/m);
    assert.match(table.out, new RegExp(`^debian +${versions[0]} +current `, "m"));

    const use = bootfleet("use", "debian", versions[2]!, "-c", config);
    assert.equal(use.code, 0, use.err);
    assert.equal(use.out, `debian now boots ${versions[2]} (was ${versions[0]})\n`);
    assert.equal(readlinkSync(join(work, "var/images/debian/current")), versions[2]);

    const refused = bootfleet("rm", "debian", versions[2]!, "-c", config);
    assert.equal(refused.code, 1);
    assert.match(
      refused.err,
      /^bootfleet: image debian version \d+-\d+ is the current version: switch first/m,
    );

    const rm = bootfleet("rm", "debian", versions[0]!, "-c", config);
    assert.equal(rm.code, 0, rm.err);
    assert.equal(rm.out, `removed debian version ${versions[0]}\n`);
  });

  it("shell runs a command in the image and passes its exit code; commit makes a version", () => {
    const shell = bootfleet(
      "shell",
      "debian",
      "-c",
      config,
      "--",
      "/bin/sh",
      "-c",
      "echo from-cli > /etc/cli; exit 4",
    );
    assert.equal(shell.code, 4, shell.err);
    const commit = bootfleet("commit", "debian", "-c", config);
    assert.equal(commit.code, 0, commit.err);
    assert.match(commit.out, /^built debian version \d{8}-\d{6}/);
    const v = /version (\d{8}-\d{6})/.exec(commit.out)![1]!;
    const r = spawnSync(
      "unsquashfs",
      ["-cat", join(work, "var/images/debian", v, "root.squashfs"), "etc/cli"],
      {
        encoding: "utf8",
      },
    );
    assert.equal(r.stdout, "from-cli\n");
  });

  it("errors say what to do, exit 1", () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ["build", "debian", "--from", join(work, "nothere")],
        /--from \S+: no such folder or file \(give a root folder/,
      ],
      [["build", "Debian", "--from", root], /invalid image name 'Debian'/],
      [["use", "debian", "20000101-000000"], /image 'debian' has no version '20000101-000000': it has /],
      [["rm", "ubuntu"], /no image 'ubuntu' in /],
      [["shell", "ubuntu"], /image ubuntu has no source tree/],
    ];
    for (const [args, text] of cases) {
      const r = bootfleet(...args, "-c", config);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.out}${r.err}`);
      assert.match(r.err, new RegExp(`^bootfleet: ${text.source}`, "m"));
    }
    const noFrom = bootfleet("build", "debian", "-c", config);
    assert.notEqual(noFrom.code, 0);
    assert.match(noFrom.err, /required option '--from <source>' not specified/);
  });
});
