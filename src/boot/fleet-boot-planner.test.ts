import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  fakeImages,
  fleetConfig,
  goldenResolver,
  resolved,
  textFile,
  v,
} from "../../test/fixtures/boot/fleet-fixture.js";
import { loadConfigFromString } from "../config/load-config.js";
import { FleetResolver } from "../config/resolve-machine.js";
import { MemoryLogger } from "../logging/logger.js";
import { decodeCpioNewc } from "./cpio-newc.js";
import { FleetBootPlanner } from "./fleet-boot-planner.js";
import { renderGrubConfig } from "./render-grub.js";
import { renderIpxeScript } from "./render-ipxe.js";
import { renderPxelinuxConfig } from "./render-pxelinux.js";

function planner(over: Partial<ConstructorParameters<typeof FleetBootPlanner>[0]> = {}) {
  return new FleetBootPlanner({
    config: fleetConfig(),
    resolver: goldenResolver(),
    images: fakeImages(),
    clock: { now: () => 1_717_243_200_000 },
    ...over,
  });
}

test("planner: chain by architecture", () => {
  const p = planner();
  const mac = "52:54:00:12:34:56";
  const file = (arch: number | undefined, ipxe = false) => p.dhcpBoot({ mac, arch, ipxe })?.bootFile;
  assert.equal(file(0), "undionly.kpxe");
  assert.equal(file(undefined), "undionly.kpxe");
  assert.equal(file(7), "ipxe.efi");
  assert.equal(file(9), "ipxe.efi");
  assert.equal(file(11), "ipxe-arm64.efi");
  assert.equal(file(16), "http://198.18.50.1:8080/ipxe/ipxe.efi");
  assert.equal(file(19), "http://198.18.50.1:8080/ipxe/ipxe-arm64.efi");
  for (const arch of [0, 7, 11]) assert.equal(file(arch, true), `http://198.18.50.1:8080/boot/${mac}.ipxe`);
  assert.equal(planner({ efiBinary: "snponly" }).dhcpBoot({ mac, arch: 7 })?.bootFile, "snponly.efi");
  assert.equal(planner({ efiBinary: "snponly" }).dhcpBoot({ mac, arch: 11 })?.bootFile, "snponly-arm64.efi");
  assert.equal(p.dhcpBoot({ mac, arch: 0 })?.nextServer, "198.18.50.1");
});

test("planner: null for an unknown machine when boot_unknown is false, for no image, for an unknown arch", () => {
  const p = planner();
  assert.equal(p.dhcpBoot({ mac: "52:54:00:00:00:ff", arch: 0 }), null);
  assert.match(p.decide({ mac: "52:54:00:00:00:ff" }).reason ?? "", /boot_unknown is false/);
  assert.equal(p.dhcpBoot({ mac: "52:54:00:00:00:fe", arch: 0 }), null);
  assert.match(p.decide({ mac: "52:54:00:00:00:fe" }).reason ?? "", /no image/);
  assert.equal(p.dhcpBoot({ mac: "52:54:00:12:34:56", arch: 6 }), null);
  assert.match(p.decide({ mac: "52:54:00:12:34:56", arch: 10 }).reason ?? "", /architecture 10/);
});

test("planner: an image with no version in the store is not booted; a pinned version is used", () => {
  const images = fakeImages();
  images.versions.delete("debian");
  const p = planner({ images });
  assert.equal(p.dhcpBoot({ mac: "52:54:00:12:34:56", arch: 0 }), null);
  assert.match(p.decide({ mac: "52:54:00:12:34:56" }).reason ?? "", /debian has no current version/);
  // trusty-i386 is pinned to 2014.10.1 though 2014.10.2 is current.
  const r = goldenResolver().add("52:54:00:00:00:33", (f) => resolved(f, { image: v("trusty-i386") }));
  const plan = planner({ resolver: r }).plan({ mac: "52:54:00:00:00:33" });
  assert.equal(plan?.entries[0]?.image.version, "2014.10.1");
});

test("planner: a resolver that throws gives null and one error line, not a crash", () => {
  const logger = new MemoryLogger();
  const p = planner({
    logger,
    resolver: {
      resolve: () => {
        throw new Error("boom");
      },
      findHost: () => undefined,
    },
  });
  assert.equal(p.dhcpBoot({ mac: "52:54:00:12:34:56" }), null);
  assert.equal(logger.records.filter((r) => r.level === "error").length, 1);
});

test("planner: bad custom DHCP options are left out with a warning, the rest stays", () => {
  const r = goldenResolver().add("52:54:00:00:00:44", (f) =>
    resolved(f, { dhcp: { options: v({ "128": "ok", "300": "x", "129": "0x0102" }) } }),
  );
  const plan = planner({ resolver: r }).plan({ mac: "52:54:00:00:00:44", arch: 0 });
  assert.ok(plan);
  assert.equal(plan.dhcp.options.get(128)?.toString(), "ok");
  assert.deepEqual([...(plan.dhcp.options.get(129) ?? [])], [1, 2]);
  assert.equal(plan.dhcp.options.has(300), false);
  assert.ok(plan.warnings.some((w) => /300 is outside 1\.\.254/.test(w)));
});

test("planner: generated files by path, any MAC spelling; unknown paths are null", async () => {
  const p = planner();
  const who = { ip: "198.18.50.14" };
  for (const spelling of [
    "52:54:00:12:34:56",
    "52-54-00-12-34-56",
    "525400123456",
    "52:54:00:12:34:56".toUpperCase(),
  ]) {
    const f = await p.generatedFile(`boot/${spelling}.ipxe`, who);
    assert.ok(f, spelling);
    assert.match(f.body.toString(), /^#!ipxe\n/);
    assert.equal(f.mtime, 1_717_243_200_000);
  }
  const cpio = await p.generatedFile("/boot/52-54-00-12-34-56/layers.cpio", who);
  assert.equal(cpio?.body.subarray(0, 6).toString(), "070701");
  assert.equal(await p.generatedFile("boot/nonsense.ipxe", who), null);
  assert.equal(await p.generatedFile("boot/52:54:00:00:00:ff.ipxe", who), null, "not bootable");
  assert.equal(await p.generatedFile("pxelinux.cfg/default", who), null);
  assert.equal(await p.generatedFile("etc/passwd", who), null);
  assert.equal(await p.generatedFile("undionly.kpxe", who), null, "no ipxeDir configured");
});

test("planner: iPXE binaries and image files for TFTP clients", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bf-planner-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "undionly.kpxe"), "UNDI");
  const images = fakeImages(dir);
  const img = images.get("debian", "2024.06.01")!;
  mkdirSync(join(dir, "debian", "2024.06.01"), { recursive: true });
  writeFileSync(img.kernel, "KERNEL");
  const p = planner({ images, ipxeDir: dir });
  assert.equal((await p.generatedFile("undionly.kpxe", { ip: "1.2.3.4" }))?.body.toString(), "UNDI");
  assert.equal((await p.generatedFile("ipxe/undionly.kpxe", { ip: "1.2.3.4" }))?.body.toString(), "UNDI");
  assert.equal(await p.generatedFile("ipxe.efi", { ip: "1.2.3.4" }), null, "not in the folder");
  assert.equal(await p.generatedFile("undionly.kkpxe", { ip: "1.2.3.4" }), null, "not one we hand out");
  assert.equal(
    (await p.generatedFile("images/debian/2024.06.01/vmlinuz", { ip: "1.2.3.4" }))?.body.toString(),
    "KERNEL",
  );
  assert.equal(
    await p.generatedFile("images/debian/2024.06.01/initrd.img", { ip: "1.2.3.4" }),
    null,
    "missing on disk",
  );
  assert.equal(await p.generatedFile("images/debian/9.9/vmlinuz", { ip: "1.2.3.4" }), null);
});

test("planner: a request by MAC plans with what the firmware told DHCP", async () => {
  const p = planner();
  p.dhcpBoot({ mac: "52:54:00:00:00:02", arch: 7 });
  const f = await p.generatedFile("boot/52:54:00:00:00:02.ipxe", { ip: "198.18.50.2" });
  assert.match(f?.body.toString() ?? "", /\n:local\nexit\n/, "UEFI leaves iPXE to boot the disk");
  assert.match(
    p.ipxeScript({ mac: "52:54:00:00:00:02", arch: 0 }) ?? "",
    /sanboot --no-describe --drive 0x80/,
  );
});

test("planner: root: nfs hands the client the version's tree over NFS instead of NBD", () => {
  const r = goldenResolver().add("52:54:00:00:00:45", (f) => resolved(f, { root: v<"nbd" | "nfs">("nfs") }));
  const nfsOn = fleetConfig();
  const withNfs = fleetConfig({
    services: {
      ...nfsOn.services,
      nfs: { enabled: true, port: 2049, mount_port: 20048, portmap_port: 111, bind: "0.0.0.0" },
    },
  });
  const plan = planner({ resolver: r, config: withNfs }).plan({ mac: "52:54:00:00:00:45", arch: 0 });
  assert.ok(plan);
  const args = plan.entries[0]!.args;
  assert.ok(args.includes("bootfleet.nfs=198.18.50.1:/images/debian/2024.06.01"), args.join(" "));
  assert.ok(!args.some((a) => a.startsWith("bootfleet.nbd=")));
  assert.deepEqual(plan.warnings, []);
  const off = planner({ resolver: r }).plan({ mac: "52:54:00:00:00:45", arch: 0 });
  assert.ok(off?.warnings.some((w) => /services\.nfs is not enabled/.test(w)));
});

test("planner: root: nfs-kernel boots the kernel alone with root=/dev/nfs, no hook and no initrds", () => {
  const mac = "52:54:00:00:00:46";
  const r = goldenResolver().add(mac, (f) =>
    resolved(f, { root: v<"nbd" | "nfs" | "nfs-kernel">("nfs-kernel", "host", "legacy-1") }),
  );
  const base = fleetConfig();
  const withNfs = fleetConfig({
    services: {
      ...base.services,
      nfs: { enabled: true, port: 2049, mount_port: 20048, portmap_port: 111, bind: "0.0.0.0" },
    },
  });
  const plan = planner({ resolver: r, config: withNfs }).plan({ mac, arch: 0 });
  assert.ok(plan);
  const entry = plan.entries[0]!;
  assert.equal(entry.root, "nfs-kernel");
  assert.deepEqual(entry.initrds, []);
  assert.deepEqual(entry.args.slice(0, 4), [
    "root=/dev/nfs",
    "nfsroot=198.18.50.1:/images/debian/2024.06.01,vers=3,tcp",
    "ip=dhcp",
    "ro",
  ]);
  assert.ok(!entry.args.some((a) => a.startsWith("bootfleet.")), entry.args.join(" "));
  assert.deepEqual(plan.warnings, []);
  const pxelinux = renderPxelinuxConfig(plan);
  assert.match(pxelinux, /APPEND root=\/dev\/nfs nfsroot=/);
  assert.doesNotMatch(pxelinux, /initrd=/);
  assert.doesNotMatch(renderGrubConfig(plan), /^\s*initrd/m);
  assert.doesNotMatch(renderIpxeScript(plan), /initrd/);
  const withFiles = goldenResolver().add(mac, (f) =>
    resolved(f, { root: v<"nbd" | "nfs" | "nfs-kernel">("nfs-kernel"), settings: { XKBLAYOUT: v("de") } }),
  );
  const warned = planner({ resolver: withFiles, config: withNfs }).plan({ mac, arch: 0 });
  assert.ok(
    warned?.warnings.some((w) => /layer files and settings are not applied/.test(w)),
    warned?.warnings.join("; "),
  );
});

test("planner: httpBase can be changed after the HTTP service listens", () => {
  const p = planner();
  p.setHttpBase("http://127.0.0.1:41234/");
  assert.equal(
    p.dhcpBoot({ mac: "52:54:00:12:34:56", ipxe: true })?.bootFile,
    "http://127.0.0.1:41234/boot/52:54:00:12:34:56.ipxe",
  );
});

test("planner: a pxelinux BIOS machine gets pxelinux.0 from a NIC's iPXE ROM too; UEFI still falls back to iPXE", () => {
  const p = planner();
  const mac = "52:54:00:00:00:0a"; // lab4-1, loader pxelinux
  for (const ipxe of [false, true]) {
    const plan = p.plan({ mac, arch: 0, ipxe, userClass: ipxe ? "iPXE" : undefined });
    assert.equal(plan?.chain.loader, "pxelinux", `ipxe ${ipxe}`);
    assert.equal(plan?.dhcp.bootFile, "pxelinux.0");
    assert.equal(plan?.chain.configPath, "pxelinux.cfg/01-52-54-00-00-00-0a");
    assert.deepEqual(plan?.warnings, []);
  }
  // On UEFI the planner chains ipxe.efi itself: that iPXE must get the script, or it loops.
  assert.equal(p.dhcpBoot({ mac, arch: 7 })?.bootFile, "ipxe.efi");
  assert.equal(
    p.dhcpBoot({ mac, arch: 7, ipxe: true })?.bootFile,
    `http://198.18.50.1:8080/boot/${mac}.ipxe`,
  );
});

test("planner: pxelinux.0 and its modules from the syslinux folders; a missing one is one warning naming the package", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bf-planner-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const syslinuxDirs = { pxelinux: join(dir, "PXELINUX"), modules: join(dir, "bios") };
  mkdirSync(syslinuxDirs.pxelinux);
  mkdirSync(syslinuxDirs.modules);
  writeFileSync(join(syslinuxDirs.pxelinux, "pxelinux.0"), "NBP");
  writeFileSync(join(syslinuxDirs.modules, "ldlinux.c32"), "LDLINUX");
  const logger = new MemoryLogger();
  const p = planner({ syslinuxDirs, logger });
  const who = { ip: "198.18.50.10" };
  assert.equal((await p.generatedFile("pxelinux.0", who))?.body.toString(), "NBP");
  assert.equal((await p.generatedFile("/ldlinux.c32", who))?.body.toString(), "LDLINUX");
  assert.equal(await p.generatedFile("pxe/ldlinux.c32", who), null, "a folder of the root's own");
  assert.equal(await planner().generatedFile("pxelinux.0", who), null, "no syslinuxDirs configured");

  for (let i = 0; i < 3; i++) assert.equal(await p.generatedFile("menu.c32", who), null);
  const warnings = logger.records.filter((r) => r.level === "warn");
  assert.equal(warnings.length, 1, "retries do not repeat it");
  assert.match(
    String(warnings[0]?.msg),
    /menu\.c32 is not installed at .*: install Debian's syslinux-common package/,
  );
});

test("planner: a layer archive holds a machine's secrets only for an address proven to be that machine", async () => {
  const mac = "52:54:00:00:00:5e";
  const r = goldenResolver().add(mac, (f) =>
    resolved(f, {
      known: true,
      settings: {
        XKBLAYOUT: v("de"),
        LDM_PASSWORD: { ...v("hunter2"), secret: true },
        BOOTFLEET_WIFI_PSK: { ...v("psk-value"), secret: true },
        BOOTFLEET_DEBUG: v("1"),
      },
      files: { "/etc/secret": { ...v(textFile("s3cret\n", 0o600)), secret: true } },
    }),
  );
  const asked: [string, string][] = [];
  const logger = new MemoryLogger();
  const isMachineAt = async (m: string, ip: string) => {
    asked.push([m, ip]);
    if (ip === "198.18.50.66") throw new Error("store down");
    return m === mac && ip === "198.18.50.94";
  };
  const text = async (p: FleetBootPlanner, ip: string, path = `boot/${mac}/layers.cpio`) =>
    decodeCpioNewc((await p.generatedFile(path, { ip }))!.body)
      .map((e) => e.data?.toString() ?? "")
      .join("\n");

  const unwired = planner({ resolver: r });
  assert.doesNotMatch(await text(unwired, "198.18.50.94"), /hunter2|s3cret|psk-value/, "no identity: never");

  const p = planner({ resolver: r, isMachineAt, logger });
  assert.match(await text(p, "198.18.50.94"), /hunter2[\s\S]*s3cret|s3cret[\s\S]*hunter2/);
  assert.doesNotMatch(await text(p, "198.18.50.200"), /hunter2|s3cret|psk-value/, "another address");
  assert.doesNotMatch(await text(p, "198.18.50.66"), /hunter2|s3cret/, "the check failed");
  assert.match(logger.records.at(-1)?.msg ?? "", /secrets are left out/);
  assert.deepEqual(asked, [
    [mac, "198.18.50.94"],
    [mac, "198.18.50.200"],
    [mac, "198.18.50.66"],
  ]);
  await p.generatedFile("boot/52:54:00:12:34:56/layers.cpio", { ip: "198.18.50.14" });
  assert.equal(asked.length, 3, "a machine without secrets is never asked about");

  // The command line is in the boot script anyone may fetch: secret BOOTFLEET_ settings stay off it.
  const script = (await p.generatedFile(`boot/${mac}.ipxe`, { ip: "198.18.50.200" }))!.body.toString();
  assert.doesNotMatch(script, /psk-value|hunter2/);
  assert.match(script, /bootfleet\.debug=1/);
  assert.match(
    p.decide({ mac }).plan?.warnings.join("\n") ?? "",
    /setting BOOTFLEET_WIFI_PSK is secret: not on the command line/,
  );
});

test("planner: root: ram puts the image's squashfs URL, sha256 and size on the command line instead of NBD; without a manifest digest it stays on NBD, with a warning", () => {
  const digest = { bytes: 123_456_789, sha256: "ab".repeat(32) };
  const withDigest = fakeImages();
  for (const list of withDigest.versions.values())
    for (const [i, image] of list.entries()) list[i] = { ...image, root: digest };
  const plan = (images: ReturnType<typeof fakeImages>, cow: boolean) => {
    const r = goldenResolver().add("52:54:00:00:00:44", (f) =>
      resolved(f, {
        root: v<"nbd" | "ram">("ram", "group", "kiosk"),
        nbd: { cow: v(cow, "group", "kiosk"), cow_keep: v(false, "builtin", "builtin") },
      }),
    );
    const p = planner({ resolver: r, images }).plan({ mac: "52:54:00:00:00:44" });
    return { entry: p!.entries[0]!, warnings: p!.warnings };
  };

  const ram = plan(withDigest, false);
  assert.equal(ram.entry.root, "ram");
  assert.deepEqual(
    ram.entry.args.filter((a) => /^bootfleet\.(root|nbd|cow)/.test(a)),
    [
      "bootfleet.root=ram",
      "bootfleet.root_url=http://198.18.50.1:8080/images/debian/2024.06.01/root.squashfs",
      `bootfleet.root_sha256=${"ab".repeat(32)}`,
      "bootfleet.root_bytes=123456789",
    ],
  );
  assert.deepEqual(ram.warnings, []);
  assert.match(plan(withDigest, true).warnings.join("\n"), /nbd\.cow does nothing with root: ram/);

  const nbd = plan(fakeImages(), true);
  assert.equal(nbd.entry.root, "nbd-cow");
  assert.ok(nbd.entry.args.includes("bootfleet.nbd=198.18.50.1:10809/debian@2024.06.01"));
  assert.ok(nbd.entry.args.includes("bootfleet.cow=1"));
  assert.ok(!nbd.entry.args.some((a) => a.startsWith("bootfleet.root")));
  assert.match(
    nbd.warnings.join("\n"),
    /root: ram, but debian@2024\.06\.01 has no manifest .*: served over NBD/,
  );
});

test("planner: a layer's servers reach the client as bootfleet.servers, this server first unless placed", () => {
  const args = (servers: readonly string[] | undefined) => {
    const r = goldenResolver().add("52:54:00:00:00:44", (f) =>
      resolved(f, servers ? { servers: v(servers, "group", "lab") } : {}),
    );
    return planner({ resolver: r }).plan({ mac: "52:54:00:00:00:44" })?.entries[0]?.args ?? [];
  };
  const servers = (a: readonly string[]) => a.filter((x) => x.startsWith("bootfleet.servers="));
  assert.deepEqual(servers(args(["198.18.50.2", "198.18.50.3"])), [
    "bootfleet.servers=198.18.50.1,198.18.50.2,198.18.50.3",
  ]);
  assert.deepEqual(servers(args(["198.18.50.2", "198.18.50.1"])), [
    "bootfleet.servers=198.18.50.2,198.18.50.1",
  ]);
  // Only this server, or no list: nothing to try beyond bootfleet.nbd's host.
  assert.deepEqual(servers(args(["198.18.50.1"])), []);
  assert.deepEqual(servers(args(undefined)), []);
});

test("planner: ARM64 UEFI gets Debian's GRUB when iPXE has no ARM64 build here, and never a file that is missing", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bf-planner-arm64-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ipxeDir = join(dir, "ipxe");
  mkdirSync(ipxeDir);
  writeFileSync(join(ipxeDir, "undionly.kpxe"), "UNDI");
  const grub = join(dir, "grubnetaa64.efi.signed");
  writeFileSync(grub, "GRUB");
  const grubBinaries = {
    "grubnetaa64.efi": { path: grub, debianPackage: "grub-efi-arm64-signed", arch: "arm64" },
  };
  const mac = "52:54:00:12:34:56";

  const withGrub = planner({ ipxeDir, grubBinaries }).plan({ mac, arch: 11 });
  assert.equal(withGrub?.chain.loader, "grub");
  assert.equal(withGrub?.dhcp.bootFile, "grubnetaa64.efi");
  assert.equal(withGrub?.chain.configPath, "grub/grub.cfg-01-52-54-00-12-34-56");
  assert.ok(withGrub?.warnings.some((w) => /ipxe-arm64\.efi is not installed/.test(w)));

  writeFileSync(join(ipxeDir, "ipxe-arm64.efi"), "IPXE");
  assert.equal(planner({ ipxeDir, grubBinaries }).plan({ mac, arch: 11 })?.dhcp.bootFile, "ipxe-arm64.efi");
  rmSync(join(ipxeDir, "ipxe-arm64.efi"));

  rmSync(grub);
  const neither = planner({ ipxeDir, grubBinaries }).decide({ mac, arch: 11 });
  assert.equal(neither.plan, null);
  assert.match(
    neither.reason ?? "",
    /ipxe-arm64\.efi is not in .*no ARM64 build.*dpkg --add-architecture arm64 .*grub-efi-arm64-signed:arm64/,
  );
  assert.match(planner({ ipxeDir, grubBinaries }).decide({ mac, arch: 19 }).reason ?? "", /over PXE/);
  assert.match(
    planner({ ipxeDir, grubBinaries }).decide({ mac, arch: 7 }).reason ?? "",
    /ipxe\.efi is not in .*install Debian's ipxe package/,
  );
  assert.equal(planner({ ipxeDir, grubBinaries }).dhcpBoot({ mac, arch: 0 })?.bootFile, "undionly.kpxe");
});

test("planner: loader shim boots UEFI x64 through Debian's shim and network GRUB, for Secure Boot", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bf-planner-shim-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const grub = join(dir, "grubnetx64.efi.signed");
  writeFileSync(grub, "GRUB");
  const grubBinaries = {
    "shimx64.efi": { path: join(dir, "shimx64.efi.signed"), debianPackage: "shim-signed" },
    "grubx64.efi": { path: grub, debianPackage: "grub-efi-amd64-signed" },
  };
  const mac = "52:54:00:00:00:51";
  const r = goldenResolver().add(mac, (f) => resolved(f, { loader: v("shim", "host", "sb-1") }));
  const p = planner({ resolver: r, grubBinaries });
  const uefi = p.plan({ mac, arch: 7 });
  assert.deepEqual(
    [uefi?.chain.loader, uefi?.dhcp.bootFile, uefi?.chain.configPath, uefi?.warnings],
    ["grub", "shimx64.efi", "grub/grub.cfg-01-52-54-00-00-00-51", []],
  );
  // What shim asks for next is the same signed network GRUB.
  assert.equal((await p.generatedFile("grubx64.efi", { ip: "198.18.50.9" }))?.body.toString(), "GRUB");
  assert.equal(p.plan({ mac, arch: 0 })?.dhcp.bootFile, "undionly.kpxe", "BIOS has no Secure Boot: iPXE");
  const arm = p.plan({ mac, arch: 11 });
  assert.equal(arm?.dhcp.bootFile, "grubnetaa64.efi");
  assert.match(arm?.warnings.join("\n") ?? "", /loader shim is offered to UEFI x64 machines only/);
});

test("planner: a group with match.arch hands that architecture's PXE ROMs its boot file, and a running iPXE its script", () => {
  const config = loadConfigFromString(
    [
      "server: { address: 198.18.50.1 }",
      "images: { debian: {} }",
      "networks: [ { subnet: 198.18.50.0/24 } ]",
      "defaults: { image: debian, dhcp: { filename: bios/pxelinux.0 } }",
      "groups:",
      "  uefi-x64: { match: { arch: [7, 9] }, dhcp: { filename: efi64/syslinux.efi } }",
    ].join("\n"),
    "/fleet/arch.yaml",
  );
  const p = planner({ config, resolver: new FleetResolver(config) });
  const mac = "52:54:00:12:34:99";
  const file = (arch: number, ipxe = false) => p.dhcpBoot({ mac, arch, ipxe })?.bootFile;
  assert.equal(file(0), "bios/pxelinux.0");
  assert.equal(file(7), "efi64/syslinux.efi");
  assert.equal(file(9), "efi64/syslinux.efi");
  assert.equal(file(7, true), `http://198.18.50.1:8080/boot/${mac}.ipxe`);
});
