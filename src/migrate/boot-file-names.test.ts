/**
 * The exports point an existing DHCP server at the files the boot planner
 * itself hands out: the same binary per architecture and the same iPXE
 * script URL. Asked of the real planner, so a rename there fails here.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BootImage, ImageLookup } from "../boot/image-lookup.js";
import { FleetBootPlanner, IPXE_BINARIES } from "../boot/fleet-boot-planner.js";
import { loadConfigFromString } from "../config/load-config.js";
import { FleetResolver } from "../config/resolve-machine.js";
import { BOOT_FILE_NAMES } from "./boot-file-names.js";
import { exportPlan } from "./export-plan.js";

const CONFIG = `
server: { address: 198.18.10.1 }
services: { http: { port: 8081 } }
images: { debian: {} }
defaults: { image: debian }
`;

const images: ImageLookup = {
  current: (name: string): BootImage => ({ name, version: "1", kernel: "/k", initrd: "/i", squashfs: "/s" }),
  get: (name: string, version: string): BootImage => ({
    name,
    version,
    kernel: "/k",
    initrd: "/i",
    squashfs: "/s",
  }),
};

describe("export boot files = the planner's", () => {
  it("every binary the exports name is one the planner hands out", () => {
    for (const f of [
      BOOT_FILE_NAMES.bios,
      BOOT_FILE_NAMES.uefiX64,
      BOOT_FILE_NAMES.uefiX64Snp,
      BOOT_FILE_NAMES.uefiArm64,
      BOOT_FILE_NAMES.uefiArm64Snp,
    ])
      assert.ok(IPXE_BINARIES.includes(f), f);
  });

  for (const efiBinary of ["ipxe", "snponly"] as const) {
    it(`per architecture, efi ${efiBinary}`, () => {
      const config = loadConfigFromString(CONFIG, "/tmp/boot-names.yaml", { skipImageCheck: true });
      const planner = new FleetBootPlanner({
        config,
        resolver: new FleetResolver(config),
        images,
        efiBinary,
      });
      const plan = exportPlan(config, { efiBinary });
      const mac = "52:54:00:10:00:01";
      const boot = (facts: { arch?: number; ipxe?: boolean }) =>
        planner.dhcpBoot({ mac, ...facts })?.bootFile;
      assert.equal(boot({ arch: 0 }), plan.bootFiles.bios);
      assert.equal(boot({ arch: 7 }), plan.bootFiles.uefiX64);
      assert.equal(boot({ arch: 9 }), plan.bootFiles.uefiX64);
      assert.equal(boot({ arch: 11 }), plan.bootFiles.uefiArm64);
      // iPXE expands ${mac} to the lower-case colon form the planner serves the script under.
      assert.equal(boot({ arch: 0, ipxe: true }), plan.bootFiles.ipxeScript.replace(/\$\{mac\}/, mac));
    });
  }
});
