/**
 * proxyDHCP beside a site DHCP server we may not change: dnsmasq on
 * 198.18.10.2 hands out addresses and knows nothing of booting; bootfleet on
 * 198.18.10.1 runs in proxy mode. The PXE client is scripted
 * (dhcp-pxe-client.ts): it replays the DISCOVER QEMU's iPXE ROM sent, gets
 * its address from dnsmasq and its boot file from bootfleet, and talks to
 * port 4011 the way OVMF (from 4011) and iPXE (from 68) do. Then the real
 * firmwares, in QEMU (TCG): the iPXE ROM (SeaBIOS) and OVMF's UEFI PXE, each
 * taking dnsmasq's address, asking bootfleet on port 4011, and going for the
 * boot file bootfleet named (seen on the wire with tshark).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { QemuMachine } from "../support/qemu-machine.js";
import { DhcpLab, textOf, waitForText } from "./dhcp-lab.js";
import { requirePeers } from "../support/require-peers.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
let lab: DhcpLab;
let serverLog: string;
let dnsmasqLog: string;

before(() => {
  requirePeers(["ip", "dnsmasq"]);
  lab = new DhcpLab("dhcppx", 1);
});
after(() => lab?.close());

test("a PXE client gets its address from dnsmasq and its boot file from bootfleet", async () => {
  // The existing DHCP server, on its own host on the same wire.
  const dnsmasqNs = lab.client("dnsmasq", "52:54:00:10:00:02");
  lab.inNs(dnsmasqNs, "ip", "addr", "add", "198.18.10.2/24", "dev", "c0");
  dnsmasqLog = join(lab.dir, "dnsmasq.log");
  lab.net.spawn(
    "dnsmasq",
    [
      "--no-daemon",
      "--conf-file=/dev/null",
      "--port=0",
      "--interface=c0",
      "--bind-interfaces",
      "--no-ping",
      "--log-dhcp",
      "--dhcp-range=198.18.10.100,198.18.10.150,1h",
      `--dhcp-leasefile=${join(lab.dir, "dnsmasq.leases")}`,
      `--pid-file=${join(lab.dir, "dnsmasq.pid")}`,
    ],
    dnsmasqLog,
    { ns: dnsmasqNs },
  );
  await waitForText(dnsmasqLog, /DHCP, IP range/, 10_000);

  const config = lab.writeConfig(`
server: { address: 198.18.10.1 }
services: { dhcp: { mode: proxy } }
networks:
  - subnet: 198.18.10.0/24
defaults: { boot_unknown: true }
`);
  serverLog = await lab.startServer(config);

  const client = lab.client("pxe", "52:54:00:10:00:03");
  const run = spawnSync(
    "ip",
    [
      "netns",
      "exec",
      client,
      process.execPath,
      "--import",
      "tsx",
      join(root, "test/interop/dhcp-pxe-client.ts"),
      "c0",
    ],
    { cwd: root, encoding: "utf8", timeout: 30_000 },
  );
  assert.equal(run.status, 0, `PXE client failed:\n${run.stdout}\n${run.stderr}`);
  const out = run.stdout;
  const got = JSON.parse(out.trim().split("\n").pop()!);

  assert.equal(got.dhcpServer, "198.18.10.2");
  assert.match(got.address, /^198\.18\.10\.(1[0-4]\d|150)$/);
  const bootFile = "http://198.18.10.1:8080/boot/52:54:00:10:00:03.ipxe";
  assert.deepEqual(got.proxyOffer, {
    type: 2,
    from: "198.18.10.1:67",
    yiaddr: "0.0.0.0",
    siaddr: "198.18.10.1",
    file: bootFile,
    serverId: "198.18.10.1",
    vendorClass: "PXEClient",
  });
  for (const ack of [got.proxyAckTo4011, got.proxyAckTo68]) {
    assert.equal(ack?.type, 5);
    // iPXE accepts a 4011 reply only from source port 4011.
    assert.equal(ack?.from, "198.18.10.1:4011");
    assert.equal(ack?.yiaddr, "0.0.0.0");
    assert.equal(ack?.file, bootFile);
  }
  // bootfleet never offered an address, dnsmasq never a boot file.
  assert.doesNotMatch(textOf(serverLog), /"type":"dhcp\.(offer|ack)"/);
  await waitForText(serverLog, /"type":"dhcp.proxy".*"port":"proxy"/, 1000);
  assert.match(textOf(dnsmasqLog), /DHCPACK\(c0\) 198\.18\.10\.\d+ 52:54:00:10:00:03/);
});

/**
 * Boots QEMU with `firmware` on the lab's bridge and waits until it (1) has
 * dnsmasq's address, (2) got bootfleet's proxy offer and (3) went for the
 * boot file bootfleet named: a TFTP read request for it, or a TCP
 * connection to the HTTP URL (tshark on the bridge). Both firmwares take the
 * boot file straight from a proxy offer that carries one (iPXE's
 * dhcp_has_pxeopts(), EDK2's PXE10 offer with discovery control bit 3); the
 * port 4011 exchange is what they fall back to without it, covered above.
 */
async function bootsThroughProxy(firmware: "bios" | "uefi", mac: string, bootFile: RegExp, fetch: RegExp) {
  const capture = join(lab.dir, `${firmware}.tshark`);
  const tshark = lab.net.spawn(
    "tshark",
    [
      "-l",
      "-n",
      "-i",
      "br0",
      "-f",
      "udp port 69 or tcp port 8080",
      "-T",
      "fields",
      "-e",
      "tftp.source_file",
      "-e",
      "tcp.dstport",
    ],
    capture,
  );
  const machine = QemuMachine.start({
    net: lab.net,
    mac,
    firmware,
    serialLog: join(lab.dir, `${firmware}.serial`),
    qemuLog: join(lab.dir, `${firmware}.qemu`),
    memoryMb: 512,
  });
  try {
    await waitForText(
      serverLog,
      new RegExp(`"type":"dhcp.proxy","mac":"${mac}".*"boot_file":"${bootFile.source}"`),
      240_000,
    );
    await waitForText(dnsmasqLog, new RegExp(`DHCPACK\\(c0\\) 198\\.18\\.10\\.\\d+ ${mac}`), 120_000);
    await waitForText(capture, fetch, 120_000);
  } finally {
    if (machine.pid) process.kill(machine.pid, "SIGKILL");
    // SIGTERM, not the network's SIGKILL: tshark then stops its dumpcap child.
    const exited = new Promise((r) => tshark.once("exit", r));
    tshark.kill("SIGTERM");
    await exited;
  }
}

test("QEMU's iPXE ROM takes dnsmasq's address and bootfleet's proxy offer, and fetches the script URL it names", async () => {
  requirePeers(["qemu-system-x86_64", "tshark"]);
  // iPXE announces itself (option 175, user class "iPXE"): the planner hands it an HTTP URL.
  await bootsThroughProxy(
    "bios",
    "52:54:00:10:00:05",
    /http:\/\/198\.18\.10\.1:8080\/boot\/52:54:00:10:00:05\.ipxe/,
    /^\t8080$/m,
  );
});

test("OVMF's UEFI PXE takes dnsmasq's address and bootfleet's proxy offer, and reads ipxe.efi over TFTP", async () => {
  requirePeers(["qemu-system-x86_64", "tshark"]);
  await bootsThroughProxy("uefi", "52:54:00:10:00:06", /ipxe\.efi/, /^ipxe\.efi\t/m);
});
