/**
 * Option 175, iPXE's encapsulated options (iPXE's include/ipxe/dhcp.h):
 * code/length sub-options with 0 as pad and 255 as end. A client sending
 * 175 at all is already running iPXE, which is all the boot planner needs;
 * the sub-options are the build's feature flags (e.g. 0x13 = HTTP, 0x24 = EFI).
 */
import { decodeSubOptions } from "./sub-options.js";

export const IpxeSub = { PRIORITY: 1, KEEP_SAN: 8, BUS_ID: 177, VERSION: 235 } as const;

export function decodeIpxeOptions(value: Buffer): Map<number, Buffer> {
  return decodeSubOptions(value, 175, true);
}
