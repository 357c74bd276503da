/**
 * The group an import writes a per-architecture boot file on: dhcpd's
 * `if option arch = 00:07 { filename ...; }`, dnsmasq's
 * `dhcp-boot=tag:efi64,...` and `pxe-service=X86-64_EFI,...`. It matches
 * by `match.arch` (option 93, RFC 4578 §2.1) alone, so every client of
 * those architectures gets the file and no other client does.
 */
import type { SourceLocation } from "../config/model.js";
import type { ConfigDraft, GroupDraft } from "./config-draft.js";

/** RFC 4578 §2.1 names, as a group name reads them; others are `arch-N`. */
const ARCH_NAMES: Readonly<Record<number, string>> = {
  0: "bios",
  6: "uefi-ia32",
  7: "uefi-x64",
  9: "uefi-x64",
  10: "uefi-arm32",
  11: "uefi-arm64",
  16: "uefi-x64-http",
  19: "uefi-arm64-http",
};

export function archGroupName(codes: readonly number[]): string {
  const names = [...new Set([...codes].sort((a, b) => a - b).map((c) => ARCH_NAMES[c] ?? `arch-${c}`))];
  return names.join("-");
}

/** The group for exactly these architectures, created (named after them) on first use. */
export function archGroup(draft: ConfigDraft, codes: readonly number[], at?: SourceLocation): GroupDraft {
  const wanted = [...new Set(codes)].sort((a, b) => a - b);
  for (const g of draft.groups.values())
    if (
      g.match.arch.length === wanted.length &&
      [...g.match.arch].sort((a, b) => a - b).every((c, i) => c === wanted[i]) &&
      !g.match.hostname.length &&
      !g.match.mac.length &&
      !g.match.ip.length &&
      !g.match.hosts.length
    )
      return g;
  const group = draft.group(draft.freeGroupName(archGroupName(wanted)), at);
  for (const c of wanted) group.match.addArch(c);
  return group;
}
