/**
 * A plan's chain in one line, for `bootfleet explain`: what the firmware
 * fetches, how, and what each loader reads next, down to the image's root,
 * e.g. "UEFI x64 HTTP boot -> http://198.18.0.1:8080/ipxe/ipxe.efi over
 * HTTP -> iPXE -> boot/<mac>.ipxe over HTTP -> kernel and initrds over HTTP
 * -> client hook -> root alpha@1 over NBD".
 */
import type { BootEntry, BootPlan } from "./boot-plan.js";

function firmware(plan: BootPlan): string {
  const { arch } = plan;
  if (arch.firmware === "bios") return "BIOS PXE ROM";
  const cpu = arch.cpu === "arm64" ? "ARM64" : "x64";
  return `UEFI ${cpu} ${arch.httpBoot ? "HTTP boot" : "PXE"}`;
}

const ROOT_TRANSPORT: Readonly<Record<Exclude<BootEntry["root"], "nfs-kernel">, string>> = {
  nbd: "over NBD",
  "nbd-cow": "over NBD",
  ram: "in RAM (fetched over HTTP)",
  nfs: "over NFS",
};

function fetched(file: string): string {
  return /^https?:\/\//.test(file) ? `${file} over HTTP` : `${file} over TFTP`;
}

export function describeChain(plan: BootPlan): string {
  const { chain } = plan;
  const entry = plan.entries[0];
  // A kernel that mounts its NFS root itself is loaded alone.
  const initrds = entry?.root === "nfs-kernel" ? "" : " and initrds";
  const steps: string[] = [];
  if (chain.loader === "ipxe" && chain.bootFile.endsWith(`/${chain.configPath}`)) {
    // iPXE is already running (the NIC's ROM, or ours chained earlier): it gets the script itself.
    steps.push("iPXE", fetched(chain.bootFile), `kernel${initrds} over HTTP`);
  } else if (chain.loader === "ipxe") {
    steps.push(firmware(plan), fetched(chain.bootFile), "iPXE", `${chain.configPath} over HTTP`);
    steps.push(`kernel${initrds} over HTTP`);
  } else if (chain.loader === "grub" && chain.bootFile === "shimx64.efi") {
    steps.push(firmware(plan), `${fetched(chain.bootFile)} (shim, signed by Microsoft)`);
    steps.push("grubx64.efi over TFTP (GRUB, signed by Debian)", "grub/grub.cfg over TFTP");
    steps.push(`${chain.configPath} over TFTP`, `kernel (signed, verified through shim)${initrds} over TFTP`);
  } else if (chain.loader === "grub") {
    steps.push(firmware(plan), `${fetched(chain.bootFile)} (GRUB)`, "grub/grub.cfg over TFTP");
    steps.push(`${chain.configPath} over TFTP`, `kernel${initrds} over TFTP`);
  } else {
    steps.push(firmware(plan), `${fetched(chain.bootFile)} (pxelinux)`, `${chain.configPath} over TFTP`);
    steps.push(`kernel${initrds} over TFTP`);
  }
  if (entry?.root === "nfs-kernel") {
    steps.push(
      `root ${entry.image.name}@${entry.image.version} over NFS, mounted by the kernel (root=/dev/nfs)`,
    );
    return steps.join(" -> ");
  }
  steps.push("client hook");
  if (entry) steps.push(`root ${entry.image.name}@${entry.image.version} ${ROOT_TRANSPORT[entry.root]}`);
  return steps.join(" -> ");
}
