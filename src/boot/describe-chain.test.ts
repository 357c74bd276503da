import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  fakeImages,
  fleetConfig,
  goldenResolver,
  resolved,
  v,
} from "../../test/fixtures/boot/fleet-fixture.js";
import { describeChain } from "./describe-chain.js";
import { FleetBootPlanner } from "./fleet-boot-planner.js";

const mac = "52:54:00:12:34:56";
const planner = new FleetBootPlanner({
  config: fleetConfig(),
  resolver: goldenResolver(),
  images: fakeImages(),
});
const chain = (arch: number, ipxe = false) => {
  const plan = planner.plan({ mac, arch, ipxe });
  assert.ok(plan, `a plan for arch ${arch}`);
  return describeChain(plan);
};

describe("describeChain", () => {
  it("names UEFI HTTP boot: the firmware fetches iPXE by URL, no TFTP anywhere", () => {
    const text = chain(16);
    assert.equal(
      text.replace(/@\S+/, "@V"),
      "UEFI x64 HTTP boot -> http://198.18.50.1:8080/ipxe/ipxe.efi over HTTP -> iPXE -> " +
        `boot/${mac}.ipxe over HTTP -> kernel and initrds over HTTP -> client hook -> root debian@V over NBD`,
    );
    assert.doesNotMatch(text, /TFTP/);
  });

  it("names the PXE chains: BIOS and UEFI over TFTP to iPXE, and an iPXE already running", () => {
    assert.match(chain(0), /^BIOS PXE ROM -> undionly\.kpxe over TFTP -> iPXE -> /);
    assert.match(chain(7), /^UEFI x64 PXE -> ipxe\.efi over TFTP -> iPXE -> /);
    assert.match(
      chain(0, true),
      new RegExp(
        `^iPXE -> http://198\\.18\\.50\\.1:8080/boot/${mac}\\.ipxe over HTTP -> kernel and initrds over HTTP`,
      ),
    );
  });

  it("names the Secure Boot chain: shim signed by Microsoft, GRUB by Debian, the kernel verified through shim", () => {
    const mac2 = "52:54:00:00:00:51";
    const r = goldenResolver().add(mac2, (f) => resolved(f, { loader: v("shim", "host", "sb-1") }));
    const p = new FleetBootPlanner({ config: fleetConfig(), resolver: r, images: fakeImages() });
    const plan = p.plan({ mac: mac2, arch: 7 });
    assert.ok(plan);
    assert.match(
      describeChain(plan),
      /^UEFI x64 PXE -> shimx64\.efi over TFTP \(shim, signed by Microsoft\) -> grubx64\.efi over TFTP \(GRUB, signed by Debian\) -> grub\/grub\.cfg over TFTP -> grub\/grub\.cfg-01-52-54-00-00-00-51 over TFTP -> kernel \(signed, verified through shim\) and initrds over TFTP -> client hook/,
    );
  });
  it("names the root as the plan serves it: NFS through the hook, or mounted by the kernel with no initrds", () => {
    const nfsMac = "52:54:00:00:00:52";
    const kernelMac = "52:54:00:00:00:53";
    const r = goldenResolver()
      .add(nfsMac, (f) => resolved(f, { root: v<"nbd" | "nfs" | "nfs-kernel">("nfs", "host", "nfs-1") }))
      .add(kernelMac, (f) =>
        resolved(f, { root: v<"nbd" | "nfs" | "nfs-kernel">("nfs-kernel", "host", "nfs-2") }),
      );
    const p = new FleetBootPlanner({ config: fleetConfig(), resolver: r, images: fakeImages() });
    const viaHook = p.plan({ mac: nfsMac, arch: 0 });
    const viaKernel = p.plan({ mac: kernelMac, arch: 0 });
    assert.ok(viaHook && viaKernel);
    assert.match(
      describeChain(viaHook),
      /kernel and initrds over HTTP -> client hook -> root debian@\S+ over NFS$/,
    );
    assert.match(
      describeChain(viaKernel),
      /-> kernel over HTTP -> root debian@\S+ over NFS, mounted by the kernel \(root=\/dev\/nfs\)$/,
    );
  });
});
