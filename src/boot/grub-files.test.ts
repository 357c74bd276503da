/**
 * GRUB for `loader: grub` as the planner hands it out: the network image from
 * Debian's package (or one log line naming the package), grub/grub.cfg that
 * Debian's grubnetx64.efi really asks for, and the per-machine file it leads to.
 *
 * The dispatch file's golden: UPDATE_GOLDEN=1 node --import tsx --test src/boot/grub-files.test.ts
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { fakeImages, fleetConfig, goldenResolver } from "../../test/fixtures/boot/fleet-fixture.js";
import type { FleetConfig } from "../config/model.js";
import { MemoryLogger } from "../logging/logger.js";
import { FleetBootPlanner } from "./fleet-boot-planner.js";
import {
  DEBIAN_GRUB_BINARIES,
  type GrubBinaries,
  grubBinary,
  missingArm64Loader,
  missingGrubFiles,
} from "./grub-files.js";
import { layersWithLoader } from "./loader-layers.js";
import { renderGrubDispatch } from "./render-grub.js";

const GOLDEN = fileURLToPath(new URL("../../test/fixtures/boot/golden/", import.meta.url));
const AT = { file: "/etc/bootfleet/fleet.yaml", line: 1, column: 1 };
/** The goldenResolver's host on `loader: grub` (group lab5). */
const GRUB_MAC = "52:54:00:00:00:0b";

function planner(grubBinaries: GrubBinaries, logger = new MemoryLogger()): FleetBootPlanner {
  return new FleetBootPlanner({
    config: fleetConfig(),
    resolver: goldenResolver(),
    images: fakeImages(),
    logger,
    clock: { now: () => Date.UTC(2024, 5, 1, 12, 0, 0) },
    grubBinaries,
  });
}

function withTemp(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-grub-files-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test("grubBinary: the names DHCP hands out, nothing else (no prototype keys, no folders)", () => {
  assert.equal(grubBinary("grubnetx64.efi", DEBIAN_GRUB_BINARIES)?.debianPackage, "grub-efi-amd64-signed");
  assert.equal(
    grubBinary("grubnetx64.efi", DEBIAN_GRUB_BINARIES)?.path,
    "/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed",
  );
  assert.equal(grubBinary("grubnetaa64.efi", DEBIAN_GRUB_BINARIES)?.debianPackage, "grub-efi-arm64-signed");
  // What shim asks for next (loader: shim) is the same signed network GRUB.
  assert.equal(
    grubBinary("grubx64.efi", DEBIAN_GRUB_BINARIES)?.path,
    grubBinary("grubnetx64.efi", DEBIAN_GRUB_BINARIES)?.path,
  );
  assert.equal(grubBinary("shimx64.efi", DEBIAN_GRUB_BINARIES)?.debianPackage, "shim-signed");
  for (const p of ["constructor", "__proto__", "toString", "grub/grubnetx64.efi", "grubx64.efi.signed", ""])
    assert.equal(grubBinary(p, DEBIAN_GRUB_BINARIES), null, p);
});

test(
  "the planner hands out grubnetx64.efi from the package's file, as the boot file DHCP names",
  withTemp(async (dir) => {
    const file = join(dir, "grubnetx64.efi.signed");
    writeFileSync(file, "MZ grub");
    const p = planner({ "grubnetx64.efi": { path: file, debianPackage: "grub-efi-amd64-signed" } });
    assert.equal(p.plan({ mac: GRUB_MAC, arch: 7 })?.dhcp.bootFile, "grubnetx64.efi");
    const got = await p.generatedFile("grubnetx64.efi", { ip: "198.18.50.11" });
    assert.equal(got?.body.toString(), "MZ grub");
    assert.equal(got?.contentType, "application/octet-stream");
  }),
);

test(
  "a missing GRUB image: null (the TFTP root is looked in next) and one warning naming the package",
  withTemp(async (dir) => {
    const logger = new MemoryLogger();
    const missing = join(dir, "absent.efi.signed");
    const p = planner(
      { "grubnetx64.efi": { path: missing, debianPackage: "grub-efi-amd64-signed" } },
      logger,
    );
    assert.equal(await p.generatedFile("grubnetx64.efi", { ip: "198.18.50.11" }), null);
    assert.equal(await p.generatedFile("/grubnetx64.efi", { ip: "198.18.50.11" }), null);
    const warnings = logger.records.filter((r) => r.level === "warn");
    assert.equal(warnings.length, 1, "one line, not one per retried request");
    assert.match(warnings[0]!.msg ?? "", /grubnetx64\.efi is not at .*absent\.efi\.signed/);
    assert.match(warnings[0]!.msg ?? "", /apt-get install --no-install-recommends grub-efi-amd64-signed/);
  }),
);

test("grub/grub.cfg is the dispatch file, for any requester; the golden shows it", async () => {
  const p = planner({});
  const got = await p.generatedFile("grub/grub.cfg", { ip: "198.18.50.99" });
  assert.ok(got);
  const text = got.body.toString();
  assert.equal(text, renderGrubDispatch());
  const golden = join(GOLDEN, "grub-dispatch.grub.cfg");
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(golden, text);
  }
  assert.ok(existsSync(golden), `${golden} missing; UPDATE_GOLDEN=1 writes it`);
  assert.equal(text, readFileSync(golden, "utf8"));
  // Only that name: GRUB's own config folder and other names stay on disk.
  assert.equal(await p.generatedFile("grub/x86_64-efi/grub.cfg", { ip: "198.18.50.99" }), null);
  assert.equal(await p.generatedFile("grub.cfg", { ip: "198.18.50.99" }), null);
});

test("the dispatch file names the per-machine file the planner renders", async () => {
  const text = renderGrubDispatch();
  // What GRUB's regexp makes of net_default_mac "52:54:00:00:00:0b".
  const m = /'(\^[^']+\$)'/.exec(text);
  assert.ok(m, "a quoted pattern");
  const groups = new RegExp(m[1]!).exec(GRUB_MAC);
  assert.ok(groups, "the pattern matches GRUB's spelling of a MAC");
  const name = /source "\$prefix\/(grub\.cfg-01-[^"]+)"/.exec(text)?.[1];
  assert.equal(name, "grub.cfg-01-$bf_m1-$bf_m2-$bf_m3-$bf_m4-$bf_m5-$bf_m6");
  const expanded = name!.replace(/\$bf_m(\d)/g, (_, n: string) => groups[Number(n)]!);
  const p = planner({});
  p.dhcpBoot({ mac: GRUB_MAC, arch: 7 });
  const file = await p.generatedFile(`grub/${expanded}`, { ip: "198.18.50.11" });
  assert.ok(file, `grub/${expanded} is rendered`);
  assert.match(file.body.toString(), /^menuentry /m);
});

test("layersWithLoader and missingGrubFiles: the start-up warning for `loader: grub` without the package", () => {
  const host = { name: "g-1", mac: "52:54:00:00:00:0b", loader: "grub" as const, at: AT };
  const config: FleetConfig = fleetConfig({ hosts: [host] });
  assert.deepEqual(layersWithLoader(config, "grub"), ["host g-1"]);
  assert.deepEqual(layersWithLoader(fleetConfig(), "grub"), []);
  const dir = mkdtempSync(join(tmpdir(), "bf-grub-files-"));
  try {
    const binaries: GrubBinaries = {
      "grubnetx64.efi": { path: join(dir, "nope.efi"), debianPackage: "grub-efi-amd64-signed" },
    };
    const lines = missingGrubFiles(binaries, join(dir, "tftp"));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /grubnetx64\.efi is neither at .*nope\.efi nor in the TFTP root/);
    assert.match(lines[0]!, /grub-efi-amd64-signed/);
    // The administrator's own copy in the TFTP root is enough.
    mkdirSync(join(dir, "tftp"));
    writeFileSync(join(dir, "tftp", "grubnetx64.efi"), "MZ");
    assert.deepEqual(missingGrubFiles(binaries, join(dir, "tftp")), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("missingArm64Loader: one start-up line naming the package, unless iPXE's ARM64 build or Debian's GRUB is there", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bf-arm64-loader-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const grub = join(dir, "grubnetaa64.efi.signed");
  const binaries = {
    "grubnetaa64.efi": { path: grub, debianPackage: "grub-efi-arm64-signed", arch: "arm64" },
  };
  const tftp = join(dir, "tftp");
  mkdirSync(tftp);
  const line = missingArm64Loader(dir, binaries, tftp);
  assert.match(line ?? "", /^ARM64 UEFI machines get no answer: ipxe-arm64\.efi is not in /);
  assert.match(
    line ?? "",
    /'dpkg --add-architecture arm64 && apt-get update && apt-get install --no-install-recommends grub-efi-arm64-signed:arm64'/,
  );
  writeFileSync(grub, "GRUB");
  assert.equal(missingArm64Loader(dir, binaries, tftp), null);
  rmSync(grub);
  writeFileSync(join(dir, "ipxe-arm64.efi"), "IPXE");
  assert.equal(missingArm64Loader(dir, binaries, tftp), null);
});
