/**
 * Many DHCP clients from one socket, for tests with several servers: run
 * inside a client namespace whose interface has an address outside the
 * pools and a default route (Linux sends 255.255.255.255 only where a route
 * leads), with `node --import tsx`. Every
 * packet sets the broadcast flag (RFC 2131 §4.1), so every server's reply
 * comes back to port 68 whoever sent it. Clients behave as udhcpc does:
 * DISCOVER until an OFFER, REQUEST it, start over after a NAK or a silence,
 * until the deadline.
 *
 *   dora     --macs PREFIX --count N   DORA for PREFIX:00:00 .. (N MACs)
 *   reboot   --pairs MAC=IP,...        INIT-REBOOT REQUESTs (RFC 2131 §4.3.2)
 *   --deadline-ms MS                   give up after (default 120000)
 *
 * Prints one JSON line per reply ({"type":"ack"|"nak"|"offer","mac","ip","server"})
 * and `DONE {"answered":N,"clients":N}` at the end.
 */
import { createSocket } from "node:dgram";
import { parseArgs } from "node:util";
import { decodeDhcp } from "../../src/protocols/dhcp/decode-dhcp.js";
import { DhcpMessageType, Opt } from "../../src/protocols/dhcp/dhcp-message.js";
import { readIp } from "../../src/protocols/dhcp/dhcp-option-values.js";
import { makeClientPacket } from "../../src/protocols/dhcp/make-client-packet.js";
import { macOf } from "../../src/services/dhcp/machine-facts-from-packet.js";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    macs: { type: "string" },
    count: { type: "string", default: "0" },
    pairs: { type: "string", default: "" },
    "deadline-ms": { type: "string", default: "120000" },
  },
});
const mode = positionals[0];
const RETRY_MS = 1500;

interface Client {
  readonly mac: string;
  readonly xid: number;
  /** reboot mode: the address it remembers. */
  readonly remembers?: string;
  state: "discovering" | "requesting" | "done";
  sentAt: number;
}

const clients: Client[] = [];
if (mode === "dora") {
  const n = Number(values.count);
  for (let i = 0; i < n; i++) {
    const hex = (b: number) => b.toString(16).padStart(2, "0");
    const mac = `${values.macs}:${hex((i >> 8) & 0xff)}:${hex(i & 0xff)}`;
    clients.push({ mac, xid: 0x10000000 + i, state: "discovering", sentAt: 0 });
  }
} else if (mode === "reboot") {
  values.pairs
    .split(",")
    .filter(Boolean)
    .forEach((pair, i) => {
      const [mac, ip] = pair.split("=");
      clients.push({ mac: mac!, xid: 0x20000000 + i, remembers: ip!, state: "requesting", sentAt: 0 });
    });
} else {
  process.stderr.write("usage: dhcp-client-swarm dora --macs PREFIX --count N | reboot --pairs MAC=IP,...\n");
  process.exit(2);
}
const byXid = new Map(clients.map((c) => [c.xid, c]));

const socket = createSocket({ type: "udp4", reuseAddr: true });
await new Promise<void>((r) => socket.bind(68, "0.0.0.0", () => r()));
socket.setBroadcast(true);
socket.on("error", (err) => process.stderr.write(`dhcp-client-swarm: ${err.message}\n`));

const send = (c: Client, buf: Buffer) => {
  c.sentAt = Date.now();
  socket.send(buf, 67, "255.255.255.255");
};
const discover = (c: Client) => {
  c.state = "discovering";
  send(c, makeClientPacket({ type: DhcpMessageType.DISCOVER, mac: c.mac, xid: c.xid, broadcast: true }));
};
const request = (c: Client, ip: string, serverId?: string) => {
  c.state = "requesting";
  send(
    c,
    makeClientPacket({
      type: DhcpMessageType.REQUEST,
      mac: c.mac,
      xid: c.xid,
      broadcast: true,
      requestedIp: ip,
      ...(serverId ? { serverId } : {}),
    }),
  );
};
const print = (type: string, c: Client, ip: string, server: string | null) =>
  process.stdout.write(`${JSON.stringify({ type, mac: c.mac, ip, server })}\n`);

socket.on("message", (buf) => {
  let msg: ReturnType<typeof decodeDhcp>;
  try {
    msg = decodeDhcp(buf);
  } catch {
    return;
  }
  const c = byXid.get(msg.xid);
  if (!c || macOf(msg) !== c.mac || c.state === "done") return;
  const server = readIp(msg.options.get(Opt.SERVER_ID));
  if (msg.messageType === DhcpMessageType.OFFER && c.state === "discovering" && server) {
    print("offer", c, msg.yiaddr, server);
    request(c, msg.yiaddr, server);
  } else if (msg.messageType === DhcpMessageType.ACK && c.state === "requesting") {
    c.state = "done";
    print("ack", c, msg.yiaddr, server);
  } else if (msg.messageType === DhcpMessageType.NAK && c.state === "requesting") {
    print("nak", c, c.remembers ?? "", server);
    // A rebooting client told NAK is done here: the test wanted the answer.
    if (c.remembers) c.state = "done";
    else discover(c);
  }
});

const deadline = Date.now() + Number(values["deadline-ms"]);
// Start clients a few milliseconds apart, as a lab powering on does.
for (const c of clients) {
  if (c.remembers) request(c, c.remembers);
  else discover(c);
  await new Promise((r) => setTimeout(r, 5));
}
while (Date.now() < deadline && clients.some((c) => c.state !== "done")) {
  await new Promise((r) => setTimeout(r, 100));
  for (const c of clients) {
    if (c.state === "done" || Date.now() - c.sentAt < RETRY_MS) continue;
    if (c.remembers) request(c, c.remembers);
    else discover(c);
  }
}
socket.close();
const answered = clients.filter((c) => c.state === "done").length;
process.stdout.write(`DONE ${JSON.stringify({ answered, clients: clients.length })}\n`);
