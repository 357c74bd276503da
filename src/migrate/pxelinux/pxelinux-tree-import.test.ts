/**
 * pxelinux.cfg as pxelinux reads it (syslinux's doc/pxelinux.txt and
 * doc/menu.txt): each file for the machines its name selects, INCLUDE
 * followed through the TFTP tree, and the entry that boots unattended
 * taken from ONTIMEOUT, MENU DEFAULT and DEFAULT.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadConfigFromString } from "../../config/load-config.js";
import type { FleetConfig } from "../../config/model.js";
import { FleetResolver } from "../../config/resolve-machine.js";
import { importConfig } from "../import-config.js";
import { ImportError } from "../import-problem.js";
import { NESTING_LIMIT } from "../nesting-limit.js";
import { readImportFiles } from "../read-import-files.js";
import type { PxelinuxTree } from "./pxelinux-tree.js";

const SERVER = { serverAddress: "198.18.0.1" };

function tree(files: Record<string, string>): PxelinuxTree {
  return {
    files: new Map(Object.entries(files).map(([k, text]) => [k, { file: `tftp/${k}`, text }])),
    inConfigFolder: true,
  };
}

/** Imports the tree's pxelinux.cfg files pxelinux reads by name. */
function importTree(files: Record<string, string>, roots: readonly string[]) {
  const t = tree(files);
  return importConfig(
    roots.map((k) => ({ file: `tftp/${k}`, text: files[k]!, format: "pxelinux" as const, pxelinuxTree: t })),
    SERVER,
  );
}

function load(yaml: string): FleetConfig {
  return loadConfigFromString(yaml, "/tmp/pxelinux-tree.yaml");
}

function imageOf(config: FleetConfig, facts: { mac: string; ip?: string }): string | undefined {
  return new FleetResolver(config).resolve(facts).image?.value;
}

function refusal(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof ImportError, String(e));
    return e.problems.map((p) => `${p.at.file}:${p.at.line}:${p.at.column} ${p.message}`);
  }
  assert.fail("imported; expected a refusal");
}

const MENU = [
  "UI menu.c32",
  "TIMEOUT 50",
  "LABEL install",
  "  MENU LABEL ^Install Debian",
  "  KERNEL d-i/linux",
  "  APPEND initrd=d-i/initrd.gz auto=true",
  "LABEL thin",
  "  MENU LABEL Thin ^client",
  "  MENU DEFAULT",
  "  KERNEL ltsp/vmlinuz",
  "  APPEND ro initrd=ltsp/initrd.img root=/dev/nfs nfsroot=198.18.0.1:/opt/ltsp/i386 init=/sbin/init-ltsp",
  "  TEXT HELP",
  "  DEFAULT install",
  "  boots the thin client",
  "  ENDTEXT",
  "LABEL local",
  "  LOCALBOOT 0",
].join("\n");

describe("pxelinux.cfg files by name", () => {
  it("01-<mac> is that host, a hex prefix its network, 8 hex digits its address, default everyone", () => {
    const files = {
      "pxelinux.cfg/default": MENU,
      "pxelinux.cfg/01-52-54-00-12-34-56": "DEFAULT install\nINCLUDE pxelinux.cfg/menu\n",
      "pxelinux.cfg/menu": MENU.replace("UI menu.c32\n", ""),
      "pxelinux.cfg/C61200": "DEFAULT local2\nLABEL local2\n  KERNEL memtest86+.bin\n",
      "pxelinux.cfg/C6120063": "DEFAULT install\nINCLUDE /pxelinux.cfg/menu\n",
    };
    const r = importTree(files, [
      "pxelinux.cfg/01-52-54-00-12-34-56",
      "pxelinux.cfg/C61200",
      "pxelinux.cfg/C6120063",
      "pxelinux.cfg/default",
    ]);
    const config = load(r.yaml);
    // MENU DEFAULT marks thin in the default menu; TEXT HELP's "DEFAULT install" is help text.
    assert.equal(config.defaults.image, "thin");
    assert.equal(imageOf(config, { mac: "52:54:00:12:34:56" }), "install");
    assert.equal(config.hosts[0]?.mac, "52:54:00:12:34:56");
    assert.equal(config.networks[0]?.subnet.text, "198.18.0.0/24");
    assert.equal(imageOf(config, { mac: "02:00:00:00:00:01", ip: "198.18.0.7" }), "local2");
    assert.equal(imageOf(config, { mac: "02:00:00:00:00:02", ip: "198.18.0.99" }), "install");
    // One image per label, however many files reach it.
    assert.deepEqual(Object.keys(config.images).sort(), ["install", "local2", "thin"]);
    assert.match(config.images.install!.description ?? "", /^Install Debian — /);
    assert.equal(config.images.thin!.root, "nfs");
    // Located at the label, in the file that first brought it (menu, INCLUDEd by the per-MAC file).
    const nfs = r.problems.filter((p) => /over NFS from \/opt\/ltsp\/i386/.test(p.message));
    assert.deepEqual(
      nfs.map((p) => `${p.severity} ${p.at.file}:${p.at.line}`),
      ["warning tftp/pxelinux.cfg/menu:6"],
    );
  });

  it("a LOCALBOOT default is refused at the line that chose it, never turned into an installer", () => {
    const files = {
      "pxelinux.cfg/01-52-54-00-12-34-56":
        "DEFAULT local\nLABEL install\n  KERNEL linux\nLABEL local\n  LOCALBOOT 0\n",
    };
    assert.deepEqual(
      refusal(() => importTree(files, Object.keys(files))).filter((m) => m.includes("LOCALBOOT")),
      [
        "tftp/pxelinux.cfg/01-52-54-00-12-34-56:1:1 DEFAULT boots LABEL local, which boots the local disk (LOCALBOOT): bootfleet boots an image by default, never the local disk",
      ],
    );
  });

  it("ONTIMEOUT decides when TIMEOUT runs out at a prompt; without TIMEOUT or a prompt it never runs", () => {
    const text = (timeout: string, prompt = "PROMPT 1\n") =>
      `${prompt}DEFAULT a\n${timeout}ONTIMEOUT b\nLABEL a\n  KERNEL a/vmlinuz\n  APPEND quiet\nLABEL b\n  KERNEL b/vmlinuz\n  APPEND quiet\n`;
    assert.equal(
      load(
        importConfig([{ file: "pxelinux.cfg/default", text: text("TIMEOUT 30\n", "PROMPT 0\n") }], SERVER)
          .yaml,
      ).defaults.image,
      "a",
    );
    assert.equal(
      load(importConfig([{ file: "pxelinux.cfg/default", text: text("TIMEOUT 30\n") }], SERVER).yaml).defaults
        .image,
      "b",
    );
    assert.equal(
      load(importConfig([{ file: "pxelinux.cfg/default", text: text("") }], SERVER).yaml).defaults.image,
      "a",
    );
  });

  it("INCLUDE of a missing file, a loop or nesting past the limit is refused at the INCLUDE line", () => {
    const missing = { "pxelinux.cfg/default": "DEFAULT a\nINCLUDE pxelinux.cfg/nosuch\n" };
    assert.deepEqual(
      refusal(() => importTree(missing, Object.keys(missing))),
      ["tftp/pxelinux.cfg/default:2:1 INCLUDE pxelinux.cfg/nosuch: no such file under the TFTP root"],
    );
    const loop = {
      "pxelinux.cfg/default": "INCLUDE pxelinux.cfg/a\n",
      "pxelinux.cfg/a": "INCLUDE /pxelinux.cfg/default\n",
    };
    assert.match(
      refusal(() => importTree(loop, ["pxelinux.cfg/default"]))[0]!,
      /^tftp\/pxelinux.cfg\/a:1:1 INCLUDE \/pxelinux.cfg\/default: includes itself/,
    );
    const deep: Record<string, string> = { "pxelinux.cfg/default": "INCLUDE f0\n" };
    for (let i = 0; i <= NESTING_LIMIT; i++) deep[`f${i}`] = `INCLUDE f${i + 1}\n`;
    assert.match(
      refusal(() => importTree(deep, ["pxelinux.cfg/default"]))[0]!,
      /INCLUDE nested deeper than 64 files/,
    );
  });

  it("hex prefixes that nest (C612, C61200) are refused at the longer one: bootfleet networks do not nest", () => {
    const files = {
      "pxelinux.cfg/C612": "DEFAULT a\nLABEL a\n  KERNEL a/vmlinuz\n  APPEND quiet\n",
      "pxelinux.cfg/C61200": "DEFAULT b\nLABEL b\n  KERNEL b/vmlinuz\n  APPEND quiet\n",
    };
    assert.deepEqual(
      refusal(() => importTree(files, ["pxelinux.cfg/C612", "pxelinux.cfg/C61200"])),
      [
        "tftp/pxelinux.cfg/C61200:1:1 the clients of 198.18.0.0/24 are also in 198.18.0.0/16 (tftp/pxelinux.cfg/C612): pxelinux gives them the longer prefix's file, bootfleet networks do not nest",
      ],
    );
  });

  it("readImportFiles takes a pxelinux.cfg folder: the files pxelinux reads by name, with what they INCLUDE", () => {
    const root = mkdtempSync(join(tmpdir(), "bf-pxelinux-tree-"));
    after(() => rmSync(root, { recursive: true, force: true }));
    const cfg = join(root, "pxelinux.cfg");
    mkdirSync(cfg);
    writeFileSync(join(cfg, "default"), "DEFAULT a\nINCLUDE pxelinux.cfg/labels\n");
    writeFileSync(join(cfg, "labels"), "LABEL a\n  KERNEL a/vmlinuz\n  APPEND quiet\n");
    symlinkSync("default", join(cfg, "01-52-54-00-12-34-56"));
    const inputs = readImportFiles([root]);
    assert.deepEqual(
      inputs.map((i) => i.file.slice(root.length)),
      ["/pxelinux.cfg/01-52-54-00-12-34-56", "/pxelinux.cfg/default"],
    );
    const config = load(importConfig(inputs, SERVER).yaml);
    assert.equal(config.defaults.image, "a");
    assert.equal(imageOf(config, { mac: "52:54:00:12:34:56" }), "a");
  });
});

describe("a per-MAC pxelinux file and a dhcpd.conf host of that MAC", () => {
  for (const order of ["pxelinux first", "dhcpd.conf first"])
    it(`are one host, named as dhcpd.conf names it (${order})`, () => {
      const files = {
        "pxelinux.cfg/01-52-54-00-12-34-56": "DEFAULT a\nLABEL a\n  KERNEL a/vmlinuz\n  APPEND quiet\n",
      };
      const t = tree(files);
      const pxe = {
        file: "tftp/pxelinux.cfg/01-52-54-00-12-34-56",
        text: files["pxelinux.cfg/01-52-54-00-12-34-56"],
        format: "pxelinux" as const,
        pxelinuxTree: t,
      };
      const dhcpd = {
        file: "dhcpd.conf",
        text: "subnet 198.18.0.0 netmask 255.255.255.0 {\n  host ws01 { hardware ethernet 52:54:00:12:34:56; fixed-address 198.18.0.11; }\n}\n",
        format: "dhcpd" as const,
      };
      const r = importConfig(order === "pxelinux first" ? [pxe, dhcpd] : [dhcpd, pxe], SERVER);
      const config = load(r.yaml);
      assert.deepEqual(
        config.hosts.map((h) => [h.name, h.mac, h.image]),
        [["ws01", "52:54:00:12:34:56", "a"]],
      );
      assert.deepEqual(
        r.problems.filter((p) => /MAC/.test(p.message)).map((p) => p.message),
        [],
      );
    });
});
