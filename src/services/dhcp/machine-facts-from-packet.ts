/**
 * What a DHCP packet tells the boot planner about the machine that sent it
 * (MachineFacts). Options that do not decode are left out, never fatal: a
 * firmware with a broken option 93 still gets an address.
 */
import type { MachineFacts } from "../../config/model.js";
import { decodeClientArch } from "../../protocols/dhcp/client-system-options.js";
import { type DhcpMessage, Opt } from "../../protocols/dhcp/dhcp-message.js";
import { readText } from "../../protocols/dhcp/dhcp-option-values.js";
import { decodeUserClass } from "../../protocols/dhcp/user-class.js";

/** "00".."ff" by byte value: a MAC is formatted for every packet. */
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export function macOf(msg: DhcpMessage): string {
  // RFC 2131 §2: chaddr holds hlen octets of hardware address (6 for Ethernet).
  const len = msg.hlen > 0 && msg.hlen <= 16 ? msg.hlen : 6;
  let mac = HEX_PAIRS[msg.chaddr[0]!]!;
  for (let i = 1; i < len; i++) mac += `:${HEX_PAIRS[msg.chaddr[i]!]}`;
  return mac;
}

export function machineFactsFromPacket(msg: DhcpMessage, ip?: string): MachineFacts {
  let arch: number | undefined;
  const archOption = msg.options.get(Opt.CLIENT_ARCH);
  if (archOption) {
    try {
      // RFC 4578 §2.1 allows a list; every firmware we know sends one value.
      arch = decodeClientArch(archOption)[0];
    } catch {
      arch = undefined;
    }
  }
  const vendorClass = readText(msg.options.get(Opt.VENDOR_CLASS)) ?? undefined;
  const userClassOption = msg.options.get(Opt.USER_CLASS);
  const userClass = userClassOption ? decodeUserClass(userClassOption).classes.join(",") : undefined;
  // iPXE is running when it says so in option 77 (raw "iPXE", see
  // user-class.ts) or sends its own option 175 at all.
  const ipxe = userClass === "iPXE" || msg.options.has(Opt.IPXE_ENCAPSULATED);
  const relay = msg.giaddr !== "0.0.0.0" ? msg.giaddr : undefined;
  return { mac: macOf(msg), ip, arch, vendorClass, userClass, ipxe, relay };
}

/** PXE spec 2.1 §2.2.1: a PXE client's option 60 starts with "PXEClient". */
export function isPxeClient(msg: DhcpMessage): boolean {
  return readText(msg.options.get(Opt.VENDOR_CLASS))?.startsWith("PXEClient") ?? false;
}
