import { layersWithLoader } from "./loader-layers.js";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fleetConfig } from "../../test/fixtures/boot/fleet-fixture.js";
import { DEBIAN_SYSLINUX_DIRS, missingSyslinuxFiles, syslinuxFile } from "./syslinux-files.js";

const AT = { file: "/etc/bootfleet/fleet.yaml", line: 1, column: 1 };

test("syslinux files: pxelinux.0 from the pxelinux package, modules from syslinux-common", () => {
  assert.deepEqual(syslinuxFile("pxelinux.0", DEBIAN_SYSLINUX_DIRS), {
    path: "/usr/lib/PXELINUX/pxelinux.0",
    debianPackage: "pxelinux",
  });
  assert.equal(syslinuxFile("lpxelinux.0", DEBIAN_SYSLINUX_DIRS)?.path, "/usr/lib/PXELINUX/lpxelinux.0");
  assert.deepEqual(syslinuxFile("ldlinux.c32", DEBIAN_SYSLINUX_DIRS), {
    path: "/usr/lib/syslinux/modules/bios/ldlinux.c32",
    debianPackage: "syslinux-common",
  });
  assert.equal(syslinuxFile("menu.c32", DEBIAN_SYSLINUX_DIRS)?.debianPackage, "syslinux-common");
});

test("syslinux files: anything else, and anything in a folder, is not one of them", () => {
  for (const path of [
    "pxelinux.cfg/01-52-54-00-12-34-56",
    "pxe/pxelinux.0",
    "pxe/ldlinux.c32",
    "../ldlinux.c32",
    "..c32",
    "ldlinux.c32/x",
    "LDLINUX.C32",
    "undionly.kpxe",
    "images/debian/1/vmlinuz",
  ]) {
    assert.equal(syslinuxFile(path, DEBIAN_SYSLINUX_DIRS), null, path);
  }
});

test("syslinux files: where the config sets loader pxelinux", () => {
  assert.deepEqual(layersWithLoader(fleetConfig(), "pxelinux"), []);
  const config = fleetConfig({
    defaults: { image: "debian", loader: "pxelinux", at: AT },
    groups: [
      { name: "lab4", match: {}, loader: "pxelinux", at: AT },
      { name: "lab5", match: {}, loader: "grub", at: AT },
    ],
    hosts: [
      { name: "px-1", loader: "pxelinux", at: AT },
      { name: "ip-1", at: AT },
    ],
    addresses: [{ ip: "198.18.50.9", loader: "pxelinux", at: AT }],
  });
  assert.deepEqual(layersWithLoader(config, "pxelinux"), [
    "defaults",
    "group lab4",
    "host px-1",
    "address 198.18.50.9",
  ]);
});

test("syslinux files: missing ones are named with the package to install, unless the TFTP root has them", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bf-syslinux-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dirs = { pxelinux: join(dir, "PXELINUX"), modules: join(dir, "modules") };
  const root = join(dir, "tftp");
  for (const d of [dirs.pxelinux, dirs.modules, root]) mkdirSync(d);

  const missing = missingSyslinuxFiles(dirs, root);
  assert.equal(missing.length, 2);
  assert.match(
    missing[0]!,
    /^pxelinux\.0 is neither at .*PXELINUX\/pxelinux\.0 nor in the TFTP root .*: install Debian's pxelinux package \('apt-get install pxelinux'\)$/,
  );
  assert.match(missing[1]!, /^ldlinux\.c32 .*install Debian's syslinux-common package/);

  writeFileSync(join(dirs.pxelinux, "pxelinux.0"), "NBP");
  writeFileSync(join(root, "ldlinux.c32"), "the administrator's own");
  assert.deepEqual(missingSyslinuxFiles(dirs, root), []);
});
