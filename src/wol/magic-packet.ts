/**
 * The Wake-on-LAN magic packet (AMD's "Magic Packet Technology" white paper,
 * 1995): six 0xff bytes, then the target's MAC sixteen times, optionally
 * followed by a SecureOn password of 4 or 6 bytes that NICs supporting it
 * compare before waking (ether-wake's -p). 102 bytes, or 106/108.
 */
import { normalizeMac } from "../config/net-address.js";
import { WolError } from "./wol-error.js";

const SYNC = 6;
const REPEATS = 16;

/** `mac` in any form the config accepts; `password` as bytes or "aa:bb:cc:dd:ee:ff" / "a.b.c.d" (ether-wake's forms). */
export function buildMagicPacket(mac: string, password?: Uint8Array | string): Buffer {
  const norm = normalizeMac(mac);
  if (norm === null) throw new WolError(`wol: '${mac}' is not a MAC address (write it as aa:bb:cc:dd:ee:ff)`);
  const macBytes = Buffer.from(norm.replaceAll(":", ""), "hex");
  const pw = password === undefined ? Buffer.alloc(0) : passwordBytes(password);
  const packet = Buffer.alloc(SYNC + REPEATS * 6 + pw.length, 0xff);
  for (let i = 0; i < REPEATS; i++) macBytes.copy(packet, SYNC + i * 6);
  pw.copy(packet, SYNC + REPEATS * 6);
  return packet;
}

function passwordBytes(password: Uint8Array | string): Buffer {
  let bytes: Buffer;
  if (typeof password !== "string") {
    bytes = Buffer.from(password);
  } else if (/^\d{1,3}(\.\d{1,3}){3}$/.test(password)) {
    const parts = password.split(".").map(Number);
    if (parts.some((p) => p > 255))
      throw new WolError(`wol: SecureOn password '${password}': an octet is above 255`);
    bytes = Buffer.from(parts);
  } else if (/^[0-9a-f]{2}([:-][0-9a-f]{2})*$/i.test(password)) {
    bytes = Buffer.from(password.replace(/[:-]/g, ""), "hex");
  } else {
    throw new WolError(`wol: SecureOn password '${password}' is neither aa:bb:cc:dd:ee:ff nor a.b.c.d`);
  }
  if (bytes.length !== 4 && bytes.length !== 6) {
    throw new WolError(`wol: SecureOn password has ${bytes.length} bytes; it has 4 or 6`);
  }
  return bytes;
}
