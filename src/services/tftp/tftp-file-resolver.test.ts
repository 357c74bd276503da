import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { TftpFileResolver } from "./tftp-file-resolver.js";

let top: string;
let root: string;

before(() => {
  top = mkdtempSync(join(tmpdir(), "bf-tftp-resolver-"));
  root = join(top, "root");
  mkdirSync(join(root, "pxelinux.cfg"), { recursive: true });
  mkdirSync(join(root, "Boot", "X86"), { recursive: true });
  writeFileSync(join(root, "pxelinux.0"), "pxe");
  writeFileSync(join(root, "shared.cfg"), "cfg");
  writeFileSync(join(root, "Boot", "X86", "WDSNBP.COM"), "wds");
  writeFileSync(join(top, "secret"), "outside");
  mkdirSync(join(top, "image"));
  writeFileSync(join(top, "image", "vmlinuz"), "kernel");
  symlinkSync("../shared.cfg", join(root, "pxelinux.cfg", "default"));
  symlinkSync("../secret", join(root, "up-link"));
  symlinkSync("/etc/passwd", join(root, "abs-link"));
  symlinkSync(top, join(root, "dir-link"));
  symlinkSync("loop-b", join(root, "loop-a"));
  symlinkSync("loop-a", join(root, "loop-b"));
  spawnSync("mkfifo", [join(root, "fifo")]);
});
after(() => rmSync(top, { recursive: true, force: true }));

describe("tftp file resolver", () => {
  it("finds regular files and follows symlinks that stay inside", async () => {
    const r = await new TftpFileResolver(root, { caseInsensitive: false }).resolve("pxelinux.cfg/default");
    assert.equal(r.kind, "file");
    assert.equal(r.kind === "file" && r.realPath, join(root, "shared.cfg"));
  });

  const refusals: [string, string][] = [
    ["up-link", "symlink leads outside the served folder"],
    ["abs-link", "symlink leads outside the served folder"],
    ["dir-link/secret", "symlink leads outside the served folder"],
    ["loop-a", "symlink loop"],
    ["fifo", "not a regular file (FIFO)"],
    ["pxelinux.cfg", "not a regular file (directory)"],
  ];
  for (const [path, reason] of refusals) {
    it(`refuses ${path}: ${reason}`, async () => {
      const r = await new TftpFileResolver(root, { caseInsensitive: false }).resolve(path);
      assert.deepEqual(r, { kind: "violation", reason });
    });
  }

  it("matches case-sensitively unless told otherwise", async () => {
    const exact = new TftpFileResolver(root, { caseInsensitive: false });
    assert.equal((await exact.resolve("boot/x86/wdsnbp.com")).kind, "not-found");
    const loose = new TftpFileResolver(root, { caseInsensitive: true });
    const r = await loose.resolve("boot/x86/wdsnbp.com");
    assert.equal(r.kind === "file" && r.realPath, join(root, "Boot", "X86", "WDSNBP.COM"));
    assert.equal((await loose.resolve("boot/x86/none")).kind, "not-found");
  });

  it("serves mounts under their prefix, refusing escapes from them too", async () => {
    const resolver = new TftpFileResolver(root, {
      caseInsensitive: false,
      mounts: [{ prefix: "images/debian", dir: join(top, "image") }],
    });
    const r = await resolver.resolve("images/debian/vmlinuz");
    assert.equal(r.kind === "file" && r.realPath, join(top, "image", "vmlinuz"));
    assert.equal((await resolver.resolve("images/debian")).kind, "violation");
    assert.equal((await resolver.resolve("images/other/vmlinuz")).kind, "not-found");
  });
});
