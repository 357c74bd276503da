import assert from "node:assert/strict";
import { test } from "node:test";
import { EventBus } from "../events/event-bus.js";
import { createBootMetrics } from "./boot-metrics.js";

function setup() {
  let now = 1_000_000;
  const bus = new EventBus({ now: () => now });
  const m = createBootMetrics(bus);
  return { bus, m, at: (ms: number) => (now = 1_000_000 + ms) };
}

async function value(m: ReturnType<typeof createBootMetrics>, line: RegExp): Promise<number> {
  const text = await m.registry.metrics();
  const hit = line.exec(text);
  assert.ok(hit, `${line} not in:\n${text}`);
  return Number(hit[1]);
}

test("metrics: DHCP by type, TFTP/HTTP/NBD bytes and transfers, active NBD connections", async () => {
  const { bus, m } = setup();
  const mac = "02:00:00:00:00:01";
  // A DISCOVER answered, a REQUEST answered, a DISCOVER left unanswered, a
  // REQUEST for another server, an INFORM and its ACK.
  bus.publish({ type: "dhcp.discover", mac, ip: "198.18.0.10", detail: { reply: "offer" } });
  bus.publish({ type: "dhcp.ack", mac, ip: "198.18.0.10", detail: { state: "selecting" } });
  bus.publish({ type: "dhcp.discover", mac });
  bus.publish({ type: "dhcp.request", mac, detail: { state: "selecting", chose: "198.18.0.2" } });
  bus.publish({ type: "dhcp.inform", mac, ip: "198.18.0.10" });
  bus.publish({ type: "dhcp.ack", mac, ip: "198.18.0.10", detail: { state: "inform" } });
  bus.publish({ type: "tftp.done", detail: { bytes: 1000 } });
  bus.publish({ type: "tftp.done", detail: { bytes: 24 } });
  bus.publish({ type: "tftp.error", detail: { error: "not found" } });
  // One event for a flood of 40 refused requests that had no event each.
  bus.publish({ type: "tftp.error", detail: { error: "not found", repeated: 40 } });
  bus.publish({ type: "http.get", detail: { kind: "kernel", bytes: 5000, complete: true } });
  bus.publish({ type: "http.get", detail: { kind: "kernel", bytes: 100, complete: false } });
  bus.publish({ type: "http.error", detail: { kind: "script", status: 404 } });
  bus.publish({ type: "nbd.connect" });
  bus.publish({ type: "nbd.connect" });
  bus.publish({ type: "nbd.disconnect", detail: { bytes_read: 4096, bytes_written: 512 } });
  bus.publish({ type: "http.get", detail: { kind: "kernel", bytes: -5 } }); // nonsense counts as 0
  assert.equal(await value(m, /^bootfleet_dhcp_packets_total\{type="discover"\} (\d+)$/m), 2);
  assert.equal(await value(m, /^bootfleet_dhcp_packets_total\{type="offer"\} (\d+)$/m), 1);
  assert.equal(await value(m, /^bootfleet_dhcp_packets_total\{type="request"\} (\d+)$/m), 2);
  assert.equal(await value(m, /^bootfleet_dhcp_packets_total\{type="ack"\} (\d+)$/m), 2);
  assert.equal(await value(m, /^bootfleet_dhcp_packets_total\{type="inform"\} (\d+)$/m), 1);
  assert.equal(await value(m, /^bootfleet_tftp_bytes_total (\d+)$/m), 1024);
  assert.equal(await value(m, /^bootfleet_tftp_transfers_total\{result="error"\} (\d+)$/m), 41);
  assert.equal(await value(m, /^bootfleet_http_bytes_total\{kind="kernel"\} (\d+)$/m), 5100);
  assert.equal(
    await value(m, /^bootfleet_http_transfers_total\{kind="kernel",result="aborted"\} (\d+)$/m),
    1,
  );
  assert.equal(await value(m, /^bootfleet_http_transfers_total\{kind="script",result="error"\} (\d+)$/m), 1);
  assert.equal(await value(m, /^bootfleet_nbd_active_connections (\d+)$/m), 1);
  assert.equal(await value(m, /^bootfleet_nbd_bytes_total\{direction="read"\} (\d+)$/m), 4096);
  assert.equal(await value(m, /^bootfleet_nbd_connections_total (\d+)$/m), 2);
  m.dispose();
});

test("metrics: boot stage latencies from the first DISCOVER; the initramfs's DISCOVER does not restart it", async () => {
  const { bus, m, at } = setup();
  const mac = "02:00:00:00:00:02";
  at(0);
  bus.publish({ type: "dhcp.discover", mac });
  at(1500);
  bus.publish({ type: "dhcp.ack", mac });
  at(3000);
  bus.publish({ type: "http.get", mac, detail: { kind: "script", bytes: 900 } });
  at(20_000);
  bus.publish({ type: "dhcp.discover", mac }); // the initramfs asks again
  at(25_000);
  bus.publish({ type: "client.stage", mac, stage: "root-mounted" });
  at(26_000);
  bus.publish({ type: "client.stage", mac, stage: "root-mounted" }); // counted once
  at(40_000);
  bus.publish({ type: "client.stage", mac, stage: "init" });
  const sum = (stage: string) =>
    value(m, new RegExp(`^bootfleet_boot_stage_seconds_sum\\{stage="${stage}"\\} ([\\d.]+)$`, "m"));
  const count = (stage: string) =>
    value(m, new RegExp(`^bootfleet_boot_stage_seconds_count\\{stage="${stage}"\\} (\\d+)$`, "m"));
  assert.equal(await sum("dhcp-ack"), 1.5);
  assert.equal(await sum("ipxe-script"), 3);
  assert.equal(await sum("root-mounted"), 25);
  assert.equal(await count("root-mounted"), 1);
  assert.equal(await sum("init"), 40);
  assert.equal(
    await value(m, /^bootfleet_boot_stage_seconds_bucket\{le="30",stage="root-mounted"\} (\d+)$/m),
    1,
  );
  // After "init" the boot is over: the next DISCOVER starts a new one.
  at(100_000);
  bus.publish({ type: "dhcp.discover", mac });
  at(102_000);
  bus.publish({ type: "dhcp.ack", mac });
  assert.equal(await count("dhcp-ack"), 2);
  assert.equal(await sum("dhcp-ack"), 3.5);
  // A stage for a machine whose boot start was not seen is not guessed at.
  bus.publish({ type: "client.stage", mac: "02:00:00:00:00:03", stage: "init" });
  assert.equal(await count("init"), 1);
  m.dispose();
});

test("metrics: each instance has its own registry; dispose stops counting", async () => {
  const bus = new EventBus();
  const a = createBootMetrics(bus);
  const b = createBootMetrics(bus);
  assert.notEqual(a.registry, b.registry);
  a.dispose();
  bus.publish({ type: "dhcp.offer" });
  assert.doesNotMatch(await a.registry.metrics(), /bootfleet_dhcp_packets_total\{type="offer"\} 1/);
  assert.match(await b.registry.metrics(), /bootfleet_dhcp_packets_total\{type="offer"\} 1/);
  b.dispose();
});
