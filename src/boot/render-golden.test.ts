/**
 * Golden files for every renderer: iPXE script, pxelinux config, GRUB config,
 * the DHCP answer, and the layer cpio (as a listing) for BIOS, UEFI x64,
 * ARM64 and UEFI HTTP boot, with and without iPXE already loaded, several
 * images in a menu and per-host kernel arguments.
 *
 * Rebuild after an intended change: UPDATE_GOLDEN=1 node --import tsx --test src/boot/render-golden.test.ts
 * and read the diff before committing it.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { MachineFacts } from "../config/model.js";
import { fakeImages, fleetConfig, goldenResolver } from "../../test/fixtures/boot/fleet-fixture.js";
import type { BootPlan } from "./boot-plan.js";
import { decodeCpioNewc } from "./cpio-newc.js";
import { FleetBootPlanner } from "./fleet-boot-planner.js";
import { renderGrubConfig } from "./render-grub.js";
import { renderIpxeScript } from "./render-ipxe.js";
import { renderPxelinuxConfig } from "./render-pxelinux.js";

const GOLDEN = fileURLToPath(new URL("../../test/fixtures/boot/golden/", import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${file} is missing; run with UPDATE_GOLDEN=1 to write it`);
  assert.equal(
    actual,
    readFileSync(file, "utf8"),
    `output differs from ${name} (UPDATE_GOLDEN=1 rewrites it)`,
  );
}

function planner(efiBinary: "ipxe" | "snponly" = "ipxe"): FleetBootPlanner {
  return new FleetBootPlanner({
    config: fleetConfig(),
    resolver: goldenResolver(),
    images: fakeImages(),
    clock: { now: () => Date.UTC(2024, 5, 1, 12, 0, 0) },
    efiBinary,
  });
}

function dhcpText(plan: BootPlan): string {
  const lines = [
    `loader ${plan.chain.loader}`,
    `next-server ${plan.dhcp.nextServer}`,
    `filename ${plan.dhcp.bootFile}`,
    `config ${plan.chain.configPath}`,
  ];
  for (const [code, value] of [...plan.dhcp.options].sort(([a], [b]) => a - b)) {
    lines.push(`option ${code} ${JSON.stringify(value.toString("latin1"))} (0x${value.toString("hex")})`);
  }
  for (const w of plan.warnings) lines.push(`warning ${w}`);
  return lines.join("\n") + "\n";
}

interface Case {
  readonly name: string;
  readonly facts: MachineFacts;
  readonly efiBinary?: "ipxe" | "snponly";
  /** Which configs to render: the loader's own is always one of them. */
  readonly render: readonly ("ipxe" | "pxelinux" | "grub")[];
}

const LAB3_14 = "52:54:00:12:34:56";
const CASES: readonly Case[] = [
  {
    name: "bios-pxe",
    facts: { mac: LAB3_14, arch: 0, vendorClass: "PXEClient:Arch:00000:UNDI:002001" },
    render: ["ipxe"],
  },
  {
    name: "bios-ipxe-loaded",
    facts: { mac: LAB3_14, arch: 0, ipxe: true, userClass: "iPXE" },
    render: ["ipxe"],
  },
  { name: "bios-no-option-93", facts: { mac: LAB3_14 }, render: [] },
  { name: "uefi-x64-pxe", facts: { mac: LAB3_14, arch: 7 }, render: ["ipxe"] },
  { name: "uefi-x64-arch9-snponly", facts: { mac: LAB3_14, arch: 9 }, efiBinary: "snponly", render: [] },
  { name: "uefi-x64-ipxe-loaded", facts: { mac: LAB3_14, arch: 7, ipxe: true }, render: ["ipxe"] },
  { name: "arm64-pxe", facts: { mac: LAB3_14, arch: 11 }, render: ["ipxe"] },
  { name: "arm64-ipxe-loaded", facts: { mac: LAB3_14, arch: 11, ipxe: true }, render: ["ipxe"] },
  { name: "uefi-x64-http-boot", facts: { mac: LAB3_14, arch: 16 }, render: [] },
  {
    name: "host-kernel-args-bios",
    facts: { mac: "52:54:00:12:34:57", arch: 0 },
    render: ["ipxe", "pxelinux"],
  },
  { name: "host-kernel-args-uefi", facts: { mac: "52:54:00:12:34:57", arch: 7 }, render: ["ipxe", "grub"] },
  { name: "menu-images-bios", facts: { mac: "52:54:00:00:00:02", arch: 0 }, render: ["ipxe", "pxelinux"] },
  {
    name: "menu-images-uefi-x64",
    facts: { mac: "52:54:00:00:00:02", arch: 7, ipxe: true },
    render: ["ipxe", "grub"],
  },
  { name: "menu-images-arm64", facts: { mac: "52:54:00:00:00:02", arch: 11 }, render: ["ipxe", "grub"] },
  { name: "pxelinux-bios", facts: { mac: "52:54:00:00:00:0a", arch: 0 }, render: ["pxelinux"] },
  { name: "pxelinux-on-uefi-falls-back", facts: { mac: "52:54:00:00:00:0a", arch: 7 }, render: ["ipxe"] },
  {
    // A NIC's own iPXE ROM (QEMU's) runs pxelinux.0 like any PXE ROM.
    name: "pxelinux-ipxe-loaded",
    facts: { mac: "52:54:00:00:00:0a", arch: 0, ipxe: true },
    render: ["pxelinux"],
  },
  { name: "grub-uefi-x64", facts: { mac: "52:54:00:00:00:0b", arch: 7 }, render: ["grub"] },
  { name: "grub-arm64", facts: { mac: "52:54:00:00:00:0b", arch: 11 }, render: ["grub"] },
  { name: "grub-on-bios-falls-back", facts: { mac: "52:54:00:00:00:0b", arch: 0 }, render: ["ipxe"] },
  { name: "servers-bios", facts: { mac: "52:54:00:00:00:0c", arch: 0, ipxe: true }, render: ["ipxe"] },
  { name: "servers-grub-uefi-x64", facts: { mac: "52:54:00:00:00:0d", arch: 7 }, render: ["grub"] },
  { name: "ltsp-ws103-options", facts: { mac: "00:c0:4f:ad:5d:55", arch: 0 }, render: ["pxelinux"] },
  {
    name: "unknown-machine-defaults",
    facts: { mac: "52:54:00:99:99:99", arch: 7, ip: "198.18.50.120", hostname: "x" },
    render: ["ipxe"],
  },
];

for (const c of CASES) {
  test(`golden: ${c.name}`, () => {
    const plan = planner(c.efiBinary).plan(c.facts);
    assert.ok(plan, `${c.name}: expected a plan`);
    golden(`${c.name}.dhcp.txt`, dhcpText(plan));
    for (const kind of c.render) {
      if (kind === "ipxe") golden(`${c.name}.ipxe`, renderIpxeScript(plan));
      if (kind === "pxelinux") golden(`${c.name}.pxelinux.cfg`, renderPxelinuxConfig(plan));
      if (kind === "grub") golden(`${c.name}.grub.cfg`, renderGrubConfig(plan));
    }
  });
}

test("golden: the generated file is the renderer's output (what TFTP and HTTP serve)", async () => {
  const p = planner();
  p.dhcpBoot({ mac: "52:54:00:00:00:0a", arch: 0 });
  const pxe = await p.generatedFile("pxelinux.cfg/01-52-54-00-00-00-0a", { ip: "198.18.50.10" });
  assert.ok(pxe);
  assert.equal(pxe.body.toString(), readFileSync(join(GOLDEN, "pxelinux-bios.pxelinux.cfg"), "utf8"));
  p.dhcpBoot({ mac: "52:54:00:00:00:0b", arch: 11 });
  const grub = await p.generatedFile("grub/grub.cfg-01-52-54-00-00-00-0b", { ip: "198.18.50.11" });
  assert.ok(grub);
  assert.equal(grub.body.toString(), readFileSync(join(GOLDEN, "grub-arm64.grub.cfg"), "utf8"));
});

function cpioListing(buf: Buffer): string {
  return decodeCpioNewc(buf)
    .map((e) => {
      const head = `${e.type.padEnd(4)} ${e.mode.toString(8).padStart(4, "0")} ${String(e.mtime)} ${e.name}`;
      if (e.type !== "file") return head;
      return `${head} (${e.data?.length ?? 0} bytes)\n${(e.data ?? Buffer.alloc(0)).toString("utf8").replace(/^/gm, "  | ")}`;
    })
    .join("\n");
}

for (const [name, mac] of [
  ["layers-lab3-14", LAB3_14],
  ["layers-lab3-15", "52:54:00:12:34:57"],
] as const) {
  test(`golden: ${name} layer cpio`, () => {
    const buf = planner().layerInitrd({ mac, arch: 0 });
    assert.ok(buf);
    golden(`${name}.cpio.txt`, `${cpioListing(buf)}\n`);
  });
}
