/**
 * What the firmware said it is, from DHCP option 93 (RFC 4578 section 2.1;
 * the codes are kept by IANA, "Processor Architecture Types"), and which
 * first-stage binary suits it.
 */
import type { MachineFacts } from "../config/model.js";

export type Firmware = "bios" | "uefi";
export type Cpu = "x86" | "x86_64" | "arm64";

export interface ClientArch {
  readonly code: number;
  readonly firmware: Firmware;
  readonly cpu: Cpu;
  /** UEFI HTTP boot (codes 16, 19): the firmware fetches an http:// URL itself, no TFTP. */
  readonly httpBoot: boolean;
  /** For text output: "bios", "uefi-x64", "uefi-arm64", "uefi-x64-http". */
  readonly label: string;
}

const ARCHES: ReadonlyMap<number, ClientArch> = new Map([
  [0, { code: 0, firmware: "bios", cpu: "x86", httpBoot: false, label: "bios" }],
  // 7 is "EFI BC" (x64 UEFI in practice), 9 is "EFI x86-64": firmware sends either.
  [7, { code: 7, firmware: "uefi", cpu: "x86_64", httpBoot: false, label: "uefi-x64" }],
  [9, { code: 9, firmware: "uefi", cpu: "x86_64", httpBoot: false, label: "uefi-x64" }],
  [11, { code: 11, firmware: "uefi", cpu: "arm64", httpBoot: false, label: "uefi-arm64" }],
  [16, { code: 16, firmware: "uefi", cpu: "x86_64", httpBoot: true, label: "uefi-x64-http" }],
  [19, { code: 19, firmware: "uefi", cpu: "arm64", httpBoot: true, label: "uefi-arm64-http" }],
] as const);

/**
 * The architecture of a client. No option 93 at all means an old BIOS PXE
 * ROM or a client that is not PXE (Etherboot on old thin clients): treat as BIOS.
 * null: a code we have no binary for (IA32 UEFI 6, ARM32 UEFI 10, ...).
 */
export function clientArch(facts: Pick<MachineFacts, "arch">): ClientArch | null {
  return ARCHES.get(facts.arch ?? 0) ?? null;
}
