/**
 * UDP datagrams from a classic pcap file (libpcap format, Ethernet link
 * type, IPv4), for tests that use real captured packets as fixtures. Not a
 * general pcap library: other link types, IPv6 and fragments are skipped.
 */
import { readIpv4 } from "./ipv4-address.js";

export interface CapturedDatagram {
  readonly srcIp: string;
  readonly dstIp: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
}

export function pcapUdpPayloads(file: Buffer): CapturedDatagram[] {
  if (file.length < 24) throw new Error("pcap: shorter than the 24-byte global header");
  const magic = file.readUInt32LE(0);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else
    throw new Error(`pcap: magic 0x${magic.toString(16)} is not classic pcap (pcapng? use editcap -F pcap)`);
  const u32 = (o: number) => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`pcap: link type ${linkType}, only Ethernet (1) is read`);
  const out: CapturedDatagram[] = [];
  let off = 24;
  while (off + 16 <= file.length) {
    const caplen = u32(off + 8);
    const start = off + 16;
    off = start + caplen;
    if (off > file.length) break;
    const frame = file.subarray(start, start + caplen);
    if (frame.length < 14 + 20 + 8 || frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    const ihl = (ip[0]! & 0x0f) * 4;
    if (ip[9] !== 17 || ip.length < ihl + 8) continue;
    if ((ip.readUInt16BE(6) & 0x3fff) !== 0) continue; // a fragment
    const udp = ip.subarray(ihl);
    const udpLen = udp.readUInt16BE(4);
    if (udpLen < 8 || udpLen > udp.length) continue;
    out.push({
      srcIp: readIpv4(ip, 12),
      dstIp: readIpv4(ip, 16),
      srcPort: udp.readUInt16BE(0),
      dstPort: udp.readUInt16BE(2),
      payload: Buffer.from(udp.subarray(8, udpLen)),
    });
  }
  return out;
}
