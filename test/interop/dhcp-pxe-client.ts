/**
 * A scripted PXE client for the proxyDHCP interop test, run inside a client
 * namespace: it replays the DHCPDISCOVER that QEMU's iPXE ROM really sent
 * (test/fixtures/dhcp/ipxe-bios.pcap, new xid), takes its address from the
 * DHCP server's offer and its boot file from the proxy's (PXE spec 2.1
 * §2.2.2), then asks the proxy again on port 4011 twice: from port 4011 as
 * OVMF does, and from port 68 as iPXE does, and checks each answer came
 * back from source port 4011. Prints one JSON line with what it got.
 */
import { execFileSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type DhcpMessage,
  DhcpMessageType,
  FLAG_BROADCAST,
  Opt,
} from "../../src/protocols/dhcp/dhcp-message.js";
import { ipOption, readIp, readText, uint8Option } from "../../src/protocols/dhcp/dhcp-option-values.js";
import { decodeDhcp } from "../../src/protocols/dhcp/decode-dhcp.js";
import { encodeDhcp } from "../../src/protocols/dhcp/encode-dhcp.js";
import { pcapUdpPayloads } from "../../src/protocols/pcap-udp-payloads.js";

const iface = process.argv[2] ?? "c0";
const capture = fileURLToPath(new URL("../fixtures/dhcp/ipxe-bios.pcap", import.meta.url));
const discover = decodeDhcp(pcapUdpPayloads(readFileSync(capture))[0]!.payload);
const xid = (Math.random() * 2 ** 32) >>> 0;

interface Got {
  readonly msg: DhcpMessage;
  readonly from: string;
  readonly port: number;
}

function bind(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: "udp4", reuseAddr: true });
    s.once("error", reject);
    s.bind({ address, port }, () => {
      s.setBroadcast(true);
      resolve(s);
    });
  });
}

function collect(s: Socket, ms: number, want: (g: Got) => boolean): Promise<Got[]> {
  return new Promise((resolve) => {
    const got: Got[] = [];
    const on = (data: Buffer, rinfo: { address: string; port: number }) => {
      try {
        const msg = decodeDhcp(data);
        const g = { msg, from: rinfo.address, port: rinfo.port };
        if (msg.xid === xid && want(g)) got.push(g);
      } catch {
        /* not DHCP */
      }
    };
    s.on("message", on);
    setTimeout(() => {
      s.off("message", on);
      resolve(got);
    }, ms);
  });
}

/** The captured DISCOVER's options with a new type, extra options and ciaddr. */
function fromCapture(type: number, extra: Map<number, Buffer>, ciaddr = "0.0.0.0"): Buffer {
  const options = new Map(discover.options);
  options.set(Opt.MESSAGE_TYPE, uint8Option(type));
  for (const [k, v] of extra) options.set(k, v);
  // Broadcast bit (RFC 2131 §4.1): a UDP socket cannot take the unicast to
  // an address it does not have yet, as iPXE's own stack can.
  return encodeDhcp({ ...discover, xid, ciaddr, flags: ciaddr === "0.0.0.0" ? FLAG_BROADCAST : 0, options });
}

const send = (s: Socket, data: Buffer, port: number, address: string) =>
  new Promise<void>((resolve, reject) => s.send(data, port, address, (e) => (e ? reject(e) : resolve())));

const summary = (g: Got | undefined) =>
  g && {
    type: g.msg.messageType,
    from: `${g.from}:${g.port}`,
    yiaddr: g.msg.yiaddr,
    siaddr: g.msg.siaddr,
    file: g.msg.file,
    serverId: readIp(g.msg.options.get(Opt.SERVER_ID)),
    vendorClass: readText(g.msg.options.get(Opt.VENDOR_CLASS)),
  };

// No address yet: broadcasts need a route out of c0.
execFileSync("ip", ["route", "replace", "255.255.255.255/32", "dev", iface]);
const s68 = await bind("0.0.0.0", 68);
const offersP = collect(s68, 3000, (g) => g.msg.messageType === DhcpMessageType.OFFER);
await send(s68, fromCapture(DhcpMessageType.DISCOVER, new Map()), 67, "255.255.255.255");
const offers = await offersP;
const addressOffer = offers.find((g) => g.msg.yiaddr !== "0.0.0.0");
const proxyOffer = offers.find((g) => g.msg.yiaddr === "0.0.0.0");
if (!addressOffer || !proxyOffer) {
  process.stdout.write(`${JSON.stringify({ error: "missing offer", offers: offers.map(summary) })}\n`);
  process.exit(1);
}
const dhcpServer = readIp(addressOffer.msg.options.get(Opt.SERVER_ID))!;
const ackP = collect(
  s68,
  3000,
  (g) => g.msg.messageType === DhcpMessageType.ACK && g.msg.yiaddr !== "0.0.0.0",
);
await send(
  s68,
  fromCapture(
    DhcpMessageType.REQUEST,
    new Map([
      [Opt.REQUESTED_IP, ipOption(addressOffer.msg.yiaddr)],
      [Opt.SERVER_ID, ipOption(dhcpServer)],
    ]),
  ),
  67,
  "255.255.255.255",
);
const [ack] = await ackP;
if (!ack) {
  process.stdout.write(`${JSON.stringify({ error: "no ACK from the DHCP server" })}\n`);
  process.exit(1);
}
const address = ack.msg.yiaddr;
execFileSync("ip", ["addr", "add", `${address}/24`, "dev", iface]);

// PXE spec §2.2.2: the boot server request goes to the proxy's port 4011, unicast, ciaddr set.
const proxyServer = readIp(proxyOffer.msg.options.get(Opt.SERVER_ID))!;
const proxyRequest = fromCapture(DhcpMessageType.REQUEST, new Map(), address);
const s4011 = await bind(address, 4011);
const fromOvmfP = collect(s4011, 3000, (g) => g.msg.messageType === DhcpMessageType.ACK);
await send(s4011, proxyRequest, 4011, proxyServer);
const fromIpxeP = collect(s68, 3000, (g) => g.msg.messageType === DhcpMessageType.ACK);
await send(s68, proxyRequest, 4011, proxyServer);
const [fromOvmf] = await fromOvmfP;
const [fromIpxe] = await fromIpxeP;
process.stdout.write(
  `${JSON.stringify({
    address,
    dhcpServer,
    proxyOffer: summary(proxyOffer),
    proxyAckTo4011: summary(fromOvmf),
    proxyAckTo68: summary(fromIpxe),
  })}\n`,
);
s68.close();
s4011.close();
