/**
 * Which machines read a file in pxelinux.cfg/, from its name alone, as
 * pxelinux looks for them (syslinux's doc/pxelinux.txt, "config file
 * search order"): first the client's SMBIOS UUID, then `01-` and its MAC
 * in lower-case hex with dashes (01 is the ARP type of Ethernet), then its
 * IPv4 address in upper-case hex, dropping one digit at a time (C0A80314,
 * C0A8031, C0A803, ..., C), then `default`. A file of another name is
 * read only where something INCLUDEs it or a menu opens it.
 */
import { basename } from "node:path";
import { formatIpv4 } from "../../config/net-address.js";

export type PxelinuxFileRole =
  | { readonly kind: "default" }
  | { readonly kind: "mac"; readonly mac: string }
  /** A hex prefix of fewer than 8 digits: every client whose address starts so. */
  | { readonly kind: "prefix"; readonly subnet: string }
  /** 8 hex digits: the client with that address. */
  | { readonly kind: "address"; readonly ip: string }
  | { readonly kind: "uuid"; readonly uuid: string }
  /** Not a name pxelinux asks for. */
  | { readonly kind: "other" };

export function pxelinuxFileRole(file: string): PxelinuxFileRole {
  const name = basename(file);
  if (name === "default") return { kind: "default" };
  const mac = /^01-((?:[0-9a-f]{2}-){5}[0-9a-f]{2})$/.exec(name);
  if (mac) return { kind: "mac", mac: mac[1]!.replaceAll("-", ":") };
  if (/^[0-9A-F]{1,8}$/.test(name)) {
    const bits = name.length * 4;
    const value = Number.parseInt(name.padEnd(8, "0"), 16);
    if (bits === 32) return { kind: "address", ip: formatIpv4(value) };
    return { kind: "prefix", subnet: `${formatIpv4(value)}/${bits}` };
  }
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(name))
    return { kind: "uuid", uuid: name };
  return { kind: "other" };
}
