/**
 * RFC 4578 options a PXE client sends about itself.
 */
import { DhcpCodecError } from "./dhcp-codec-error.js";

/**
 * Option 93, client system architecture (RFC 4578 §2.1; the IANA registry
 * adds the later values): a list of 16-bit types, normally one. 0 = x86
 * BIOS, 6 = x86 UEFI, 7 and 9 = x64 UEFI (EDK2 sends 7), 10 = ARM32 UEFI,
 * 11 = ARM64 UEFI, 16 = x64 UEFI HTTP boot.
 */
export function decodeClientArch(value: Buffer): number[] {
  if (value.length === 0 || value.length % 2 !== 0) {
    throw new DhcpCodecError(
      "bad-option-value",
      `option 93 (client arch) is ${value.length} bytes, not a non-empty even count`,
    );
  }
  const out: number[] = [];
  for (let i = 0; i < value.length; i += 2) out.push(value.readUInt16BE(i));
  return out;
}

export interface ClientNdi {
  /** 1 = UNDI. */
  readonly type: number;
  readonly major: number;
  readonly minor: number;
}

/** Option 94, client network interface identifier (RFC 4578 §2.2): type, major, minor. */
export function decodeClientNdi(value: Buffer): ClientNdi {
  if (value.length !== 3) {
    throw new DhcpCodecError("bad-option-value", `option 94 (client NDI) is ${value.length} bytes, not 3`);
  }
  return { type: value[0]!, major: value[1]!, minor: value[2]! };
}

/**
 * Option 97, client machine identifier (RFC 4578 §2.3): type 0 then a
 * 16-octet UUID, shown as 8-4-4-4-12 hex in wire order. (SMBIOS stores the
 * first three fields little-endian; PXE ROMs send them as stored, so this
 * text may differ from `dmidecode`'s.)
 */
export function decodeClientUuid(value: Buffer): string {
  if (value.length !== 17 || value[0] !== 0) {
    throw new DhcpCodecError(
      "bad-option-value",
      `option 97 (client UUID) is ${value.length} bytes or not type 0`,
    );
  }
  const h = value.toString("hex", 1);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
