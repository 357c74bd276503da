/**
 * The DHCP requests a simulated machine sends, built from what real
 * firmware sent (test/fixtures/dhcp/*.pcap, captured from QEMU): the PXE
 * ROM's (option 60 "PXEClient:Arch:00000:UNDI:002001", 93 arch 0 = BIOS,
 * 94 UNDI 2.1, 97 the machine's UUID; PXE spec 2.1 §2.2.1) and, after the
 * chain-load, iPXE's (the same plus 77 "iPXE" and its 175 feature list,
 * exactly as iPXE 1.0.0+git-20190125 sent them). Only the MAC, the UUID,
 * option 61 and the per-exchange fields change.
 *
 * Every request sets the broadcast flag (RFC 2131 §4.1): many machines
 * share one UDP socket on port 68, which can take the reply to an address
 * it does not have yet only as a broadcast. Real PXE ROMs often set it too.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { decodeDhcp } from "../../src/protocols/dhcp/decode-dhcp.js";
import { type DhcpMessage, FLAG_BROADCAST, Opt } from "../../src/protocols/dhcp/dhcp-message.js";
import { ipOption, uint8Option } from "../../src/protocols/dhcp/dhcp-option-values.js";
import { encodeDhcp } from "../../src/protocols/dhcp/encode-dhcp.js";
import { macToChaddr } from "../../src/protocols/dhcp/make-client-packet.js";
import { pcapUdpPayloads } from "../../src/protocols/pcap-udp-payloads.js";

export type Firmware = "pxe-rom" | "ipxe";

const fixture = (name: string): DhcpMessage =>
  decodeDhcp(
    pcapUdpPayloads(
      readFileSync(fileURLToPath(new URL(`../../test/fixtures/dhcp/${name}`, import.meta.url))),
    )[0]!.payload,
  );

const IPXE_DISCOVER = fixture("ipxe-bios.pcap");
/** OVMF's PXE base code asks for the PXE boot-server options (128-135) a BIOS ROM asks for too. */
const PXE_ROM_PARAMETERS = fixture("ovmf.pcap").options.get(Opt.PARAMETER_LIST)!;
const IPXE_USER_CLASS = 77;
const IPXE_ENCAPSULATED = 175;

/** Option 97 (RFC 4578 §2.5): type 0, then the 16-byte UUID, here made from the MAC. */
function uuidOption(mac: string): Buffer {
  const b = Buffer.alloc(17);
  macToChaddr(mac).copy(b, 11, 0, 6);
  return b;
}

export interface RequestFields {
  readonly mac: string;
  readonly xid: number;
  readonly type: number;
  /** Seconds since the machine started this DHCP attempt (RFC 2131 `secs`). */
  readonly secs: number;
  /** REQUEST only: the offered address (option 50) and the server (option 54). */
  readonly requestedIp?: string | undefined;
  readonly serverId?: string | undefined;
}

export function firmwareDhcpRequest(firmware: Firmware, f: RequestFields): Buffer {
  const options = new Map<number, Buffer>();
  options.set(Opt.MESSAGE_TYPE, uint8Option(f.type));
  if (f.requestedIp) options.set(Opt.REQUESTED_IP, ipOption(f.requestedIp));
  if (f.serverId) options.set(Opt.SERVER_ID, ipOption(f.serverId));
  for (const [code, value] of IPXE_DISCOVER.options) {
    if (code === Opt.MESSAGE_TYPE) continue;
    if (firmware === "pxe-rom" && (code === IPXE_USER_CLASS || code === IPXE_ENCAPSULATED)) continue;
    if (firmware === "pxe-rom" && code === Opt.PARAMETER_LIST) options.set(code, PXE_ROM_PARAMETERS);
    else if (code === Opt.CLIENT_ID)
      options.set(code, Buffer.concat([Buffer.of(1), macToChaddr(f.mac).subarray(0, 6)]));
    else if (code === Opt.CLIENT_UUID) options.set(code, uuidOption(f.mac));
    else options.set(code, value);
  }
  return encodeDhcp({
    ...IPXE_DISCOVER,
    xid: f.xid,
    secs: f.secs,
    flags: FLAG_BROADCAST,
    chaddr: macToChaddr(f.mac),
    options,
  });
}
