import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { pcapUdpPayloads } from "../../protocols/pcap-udp-payloads.js";
import { type DhcpMessage, DhcpMessageType as T, Opt } from "../../protocols/dhcp/dhcp-message.js";
import { readIp, readText, readUint32 } from "../../protocols/dhcp/dhcp-option-values.js";
import { decodeDhcp } from "../../protocols/dhcp/decode-dhcp.js";
import { decodePxeVendorOptions } from "../../protocols/dhcp/pxe-vendor-options.js";
import { type ClientPacketSpec, makeClientPacket } from "../../protocols/dhcp/make-client-packet.js";
import type { DhcpListener, DhcpOutbound } from "./dhcp-datagram.js";
import { type HandlerFixture, makeHandlerFixture, TEST_FLEET } from "./dhcp-handler-fixture.js";

const fixtures = fileURLToPath(new URL("../../../test/fixtures/dhcp/", import.meta.url));
const MAC = "52:54:00:00:00:01";

interface Sent extends DhcpOutbound {
  readonly msg: DhcpMessage;
}

async function send(
  f: HandlerFixture,
  spec: ClientPacketSpec | Buffer,
  listener: DhcpListener = "dhcp",
  from = { address: "0.0.0.0", port: 68 },
): Promise<Sent[]> {
  const data = Buffer.isBuffer(spec) ? spec : makeClientPacket(spec);
  const out = await f.handler.handle({ data, ...from, listener });
  return out.map((o) => ({ ...o, msg: decodeDhcp(o.data) }));
}

async function dora(
  f: HandlerFixture,
  mac: string,
  extra: Partial<ClientPacketSpec> = {},
): Promise<DhcpMessage> {
  const [offer] = await send(f, { type: T.DISCOVER, mac, ...extra });
  assert.ok(offer, "an offer");
  const [ack] = await send(f, {
    type: T.REQUEST,
    mac,
    requestedIp: offer.msg.yiaddr,
    serverId: readIp(offer.msg.options.get(Opt.SERVER_ID))!,
    ...extra,
  });
  assert.equal(ack?.msg.messageType, T.ACK);
  return ack!.msg;
}

describe("full mode: DISCOVER/OFFER/REQUEST/ACK (RFC 2131 §3.1)", () => {
  test("a new client gets a pool address with the network's options, broadcast out of its interface", async () => {
    const f = await makeHandlerFixture();
    const [offer] = await send(f, { type: T.DISCOVER, mac: MAC });
    assert.ok(offer);
    assert.equal(offer.msg.messageType, T.OFFER);
    assert.equal(offer.msg.yiaddr, "198.18.10.100");
    assert.equal(offer.address, "255.255.255.255");
    assert.equal(offer.port, 68);
    assert.equal(offer.via, "198.18.10.1");
    const o = offer.msg.options;
    assert.equal(readIp(o.get(Opt.SERVER_ID)), "198.18.10.1");
    assert.equal(readIp(o.get(Opt.SUBNET_MASK)), "255.255.255.0");
    assert.equal(readIp(o.get(Opt.ROUTERS)), "198.18.10.1");
    assert.equal(readText(o.get(Opt.DOMAIN_NAME)), "lab.example");
    assert.equal(readUint32(o.get(Opt.LEASE_TIME)), 600);
    assert.equal(readUint32(o.get(Opt.RENEWAL_TIME)), 300);
    assert.equal(readUint32(o.get(Opt.REBINDING_TIME)), 525);
    // An LTSP dhcpd.conf's Etherboot options: 128 as colon hex, 129 as text, and the root path.
    assert.deepEqual(o.get(128), Buffer.from("e44574680000", "hex"));
    assert.equal(readText(o.get(129)), "NIC=ne IO=0x300");
    assert.equal(readText(o.get(Opt.ROOT_PATH)), "198.18.10.1:/opt/ltsp/i386");
    // Not a netboot client: the planner is not asked.
    assert.equal(f.planner.asked.length, 0);

    const ack = await dora(f, MAC);
    assert.equal(ack.yiaddr, "198.18.10.100");
    const lease = await f.store.getLeaseByIp("198.18.10.100");
    assert.equal(lease?.state, "bound");
    assert.equal(lease?.mac, MAC);
    assert.equal(lease?.expires, f.clock.t + 600_000);
    // One event per exchange: the DISCOVER with the address offered, the
    // ACK with what the REQUEST said.
    assert.deepEqual(
      f.events.map((e) => [e.type, e.ip, e.detail?.reply ?? e.detail?.state]),
      [
        ["dhcp.discover", "198.18.10.100", "offer"],
        ["dhcp.discover", "198.18.10.100", "offer"],
        ["dhcp.ack", "198.18.10.100", "selecting"],
      ],
    );
    assert.equal(f.events[0]?.detail?.network, "198.18.10.0/24");
    assert.equal(f.events[2]?.detail?.lease_seconds, 600);
  });

  test("a REQUEST naming another server voids our offer and gets no reply", async () => {
    const f = await makeHandlerFixture();
    await send(f, { type: T.DISCOVER, mac: MAC });
    const out = await send(f, {
      type: T.REQUEST,
      mac: MAC,
      requestedIp: "198.18.10.100",
      serverId: "198.18.10.254",
    });
    assert.equal(out.length, 0);
    assert.equal(f.handler.leases.byIp("198.18.10.100"), undefined);
    // Unanswered, the REQUEST is an event of its own.
    assert.deepEqual(
      f.events.map((e) => [e.type, e.detail?.chose]),
      [
        ["dhcp.discover", undefined],
        ["dhcp.request", "198.18.10.254"],
      ],
    );
  });

  test("a host reservation is offered to its MAC and to no one else", async () => {
    const f = await makeHandlerFixture();
    const ack = await dora(f, "00:c0:4f:ad:5c:bc");
    assert.equal(ack.yiaddr, "198.18.10.12");
    assert.equal(readText(ack.options.get(Opt.HOSTNAME)), "ws100");
    assert.equal((await f.store.getLeaseByIp("198.18.10.12"))?.hostname, "ws100");
    // Another MAC asking for the reserved address by INIT-REBOOT is refused.
    const [nak] = await send(f, { type: T.REQUEST, mac: MAC, requestedIp: "198.18.10.12" });
    assert.equal(nak?.msg.messageType, T.NAK);
    assert.equal(nak?.address, "255.255.255.255");
    assert.equal(nak?.via, "198.18.10.1");
  });

  test("RENEWING: unicast ACK to ciaddr, lease extended", async () => {
    const f = await makeHandlerFixture();
    await dora(f, MAC);
    f.clock.t += 300_000;
    const [ack] = await send(f, { type: T.REQUEST, mac: MAC, ciaddr: "198.18.10.100" }, "dhcp", {
      address: "198.18.10.100",
      port: 68,
    });
    assert.equal(ack?.msg.messageType, T.ACK);
    assert.equal(ack?.address, "198.18.10.100");
    assert.equal(ack?.msg.ciaddr, "198.18.10.100");
    assert.equal((await f.store.getLeaseByIp("198.18.10.100"))?.expires, f.clock.t + 600_000);
  });

  test("a client asking again within lease_cache_threshold gets its running lease unchanged, with nothing written", async () => {
    const f = await makeHandlerFixture();
    let writes = 0;
    const putLeases = f.store.putLeases.bind(f.store);
    f.store.putLeases = async (rows) => {
      writes += rows.length;
      return putLeases(rows);
    };
    await dora(f, MAC);
    assert.equal(writes, 1);
    const granted = f.clock.t;
    // 60 s into a 600 s lease (10%, under the default 25%): the next boot
    // stage's DISCOVER and REQUEST get what is left of the lease.
    f.clock.t += 60_000;
    const [offer] = await send(f, { type: T.DISCOVER, mac: MAC });
    assert.equal(readUint32(offer?.msg.options.get(Opt.LEASE_TIME)), 540);
    const ack = await dora(f, MAC);
    assert.equal(ack.yiaddr, "198.18.10.100");
    assert.equal(readUint32(ack.options.get(Opt.LEASE_TIME)), 540);
    // T1 and T2 of what is left (RFC 2131 §4.4.5).
    assert.equal(readUint32(ack.options.get(Opt.RENEWAL_TIME)), 270);
    assert.equal(readUint32(ack.options.get(Opt.REBINDING_TIME)), 472);
    assert.equal(writes, 1);
    const stored = await f.store.getLeaseByIp("198.18.10.100");
    assert.equal(stored?.start, granted);
    assert.equal(stored?.expires, granted + 600_000);
    const acks = f.events.filter((e) => e.type === "dhcp.ack");
    assert.deepEqual(
      acks.map((e) => [e.detail?.lease_seconds, e.detail?.reused]),
      [
        [600, undefined],
        [540, true],
      ],
    );

    // From 25% of the lease on, a REQUEST writes a new lease of the full time.
    f.clock.t = granted + 150_000;
    const renewed = await dora(f, MAC);
    assert.equal(readUint32(renewed.options.get(Opt.LEASE_TIME)), 600);
    assert.equal(writes, 2);
    assert.equal((await f.store.getLeaseByIp("198.18.10.100"))?.expires, f.clock.t + 600_000);
  });

  test("a lease is written anew when the hostname or client identifier changes, or lease_cache_threshold is 0", async () => {
    const f = await makeHandlerFixture();
    await dora(f, MAC);
    f.clock.t += 10_000;
    const named = await dora(f, MAC, { hostname: "lab-pc-7" });
    assert.equal(readUint32(named.options.get(Opt.LEASE_TIME)), 600);
    assert.equal((await f.store.getLeaseByIp("198.18.10.100"))?.hostname, "lab-pc-7");
    f.clock.t += 10_000;
    const again = await dora(f, MAC, { hostname: "lab-pc-7" });
    assert.equal(readUint32(again.options.get(Opt.LEASE_TIME)), 590);
    f.clock.t += 10_000;
    const withId = await dora(f, MAC, {
      hostname: "lab-pc-7",
      clientId: Buffer.from("01525400000001", "hex"),
    });
    assert.equal(readUint32(withId.options.get(Opt.LEASE_TIME)), 600);
    assert.equal((await f.store.getLeaseByIp("198.18.10.100"))?.clientId, "01525400000001");

    const off = await makeHandlerFixture(
      TEST_FLEET.replace("lease_time: 600 }", "lease_time: 600, lease_cache_threshold: 0 }"),
    );
    await dora(off, MAC);
    off.clock.t += 10_000;
    const ack = await dora(off, MAC);
    assert.equal(readUint32(ack.options.get(Opt.LEASE_TIME)), 600);
    assert.equal((await off.store.getLeaseByIp("198.18.10.100"))?.expires, off.clock.t + 600_000);
  });

  test("INIT-REBOOT for an address another MAC holds: NAK; for its own: ACK", async () => {
    const f = await makeHandlerFixture();
    await dora(f, MAC);
    const [nak] = await send(f, { type: T.REQUEST, mac: "52:54:00:00:00:02", requestedIp: "198.18.10.100" });
    assert.equal(nak?.msg.messageType, T.NAK);
    assert.equal(nak?.msg.yiaddr, "0.0.0.0");
    const [ack] = await send(f, { type: T.REQUEST, mac: MAC, requestedIp: "198.18.10.100" });
    assert.equal(ack?.msg.messageType, T.ACK);
    // The NAK's event says why, and what the REQUEST was.
    assert.deepEqual(
      f.events.slice(-2).map((e) => [e.type, e.mac, e.detail?.state, e.detail?.reason]),
      [
        ["dhcp.nak", "52:54:00:00:00:02", "init-reboot", "address in use"],
        ["dhcp.ack", MAC, "init-reboot", undefined],
      ],
    );
  });

  test("RELEASE frees the address but keeps it as the MAC's first choice; DECLINE quarantines", async () => {
    const f = await makeHandlerFixture();
    await dora(f, MAC);
    assert.deepEqual(await send(f, { type: T.RELEASE, mac: MAC, ciaddr: "198.18.10.100" }), []);
    assert.equal((await f.store.getLeaseByIp("198.18.10.100"))?.state, "released");
    const again = await dora(f, MAC);
    assert.equal(again.yiaddr, "198.18.10.100");

    const b = "52:54:00:00:00:02";
    const offered = await dora(f, b);
    assert.equal(offered.yiaddr, "198.18.10.101");
    await send(f, { type: T.DECLINE, mac: b, requestedIp: "198.18.10.101", serverId: "198.18.10.1" });
    assert.equal((await f.store.getLeaseByIp("198.18.10.101"))?.state, "declined");
    const [next] = await send(f, { type: T.DISCOVER, mac: b });
    assert.equal(next?.msg.yiaddr, "198.18.10.102");
  });

  test("INFORM: options only, no lease time, unicast to ciaddr (RFC 2131 §4.3.5)", async () => {
    const f = await makeHandlerFixture();
    const [ack] = await send(f, { type: T.INFORM, mac: MAC, ciaddr: "198.18.10.50" });
    assert.equal(ack?.msg.messageType, T.ACK);
    assert.equal(ack?.msg.yiaddr, "0.0.0.0");
    assert.equal(ack?.address, "198.18.10.50");
    assert.equal(ack?.msg.options.has(Opt.LEASE_TIME), false);
    assert.equal(readIp(ack?.msg.options.get(Opt.ROUTERS)), "198.18.10.1");
  });

  test("expired leases go back to the pool", async () => {
    const f = await makeHandlerFixture();
    await dora(f, MAC);
    f.clock.t += 601_000;
    assert.equal(await f.handler.expire(), 1);
    assert.equal((await f.store.getLeaseByIp("198.18.10.100"))?.state, "expired");
    // Fresh addresses first; the expired one is reused only when none is left.
    for (let i = 2; i <= 10; i++) await dora(f, `52:54:00:00:01:${i.toString(16).padStart(2, "0")}`);
    const last = await dora(f, "52:54:00:00:02:00");
    assert.equal(last.yiaddr, "198.18.10.100");
  });
});

describe("Etherboot's alternative ports 1067/1068 (a second server beside the site's own)", () => {
  test("services.dhcp.port 1067: replies go to client port 1068, relays to 1067", async () => {
    const f = await makeHandlerFixture(TEST_FLEET.replace("mode: full,", "mode: full, port: 1067,"));
    const [offer] = await send(f, { type: T.DISCOVER, mac: MAC });
    assert.equal(offer?.port, 1068);
    const [relayed] = await send(f, { type: T.DISCOVER, mac: MAC, giaddr: "198.18.11.1" });
    assert.equal(relayed?.port, 1067);
  });
});

describe("full mode: relays (RFC 2131 §4.1, RFC 3046)", () => {
  test("giaddr picks the network; replies go to the relay on port 67 with option 82 echoed", async () => {
    const f = await makeHandlerFixture();
    const relayInfo = Buffer.from([1, 4, 0x65, 0x74, 0x68, 0x30]);
    const spec = { mac: MAC, giaddr: "198.18.11.1", extra: new Map([[Opt.RELAY_AGENT_INFO, relayInfo]]) };
    const [offer] = await send(f, { type: T.DISCOVER, ...spec }, "dhcp", {
      address: "198.18.11.1",
      port: 67,
    });
    assert.equal(offer?.msg.yiaddr, "198.18.11.50");
    assert.equal(offer?.address, "198.18.11.1");
    assert.equal(offer?.port, 67);
    assert.equal(offer?.msg.giaddr, "198.18.11.1");
    assert.deepEqual(offer?.msg.options.get(Opt.RELAY_AGENT_INFO), relayInfo);
    // Relayed network: option 54 is the configured server address.
    assert.equal(readIp(offer?.msg.options.get(Opt.SERVER_ID)), "198.18.10.1");
    const ack = await dora(f, MAC, spec);
    assert.equal(ack.yiaddr, "198.18.11.50");
    assert.equal(f.planner.asked.length, 0);
  });

  test("a relay from no configured network is dropped with one log line", async () => {
    const f = await makeHandlerFixture();
    const out = await send(f, { type: T.DISCOVER, mac: MAC, giaddr: "198.19.0.1" });
    assert.deepEqual(out, []);
    assert.equal(f.handler.counters.get("dropped.no-network-for-relay"), 1);
    assert.equal(f.logger.records.filter((r) => r.level === "warn").length, 1);
  });
});

describe("full mode: guards", () => {
  test("max_leases counts bindings, not offers; over it a REQUEST gets a NAK and a DISCOVER nothing", async () => {
    const f = await makeHandlerFixture();
    const relayed = { giaddr: "198.18.11.1" };
    const offers: string[] = [];
    for (let i = 0; i < 8; i++) {
      const [o] = await send(f, {
        type: T.DISCOVER,
        mac: `02:00:00:00:00:${i.toString(16).padStart(2, "0")}`,
        ...relayed,
      });
      if (o) offers.push(o.msg.yiaddr);
    }
    assert.equal(offers.length, 8, "offers hold nothing, so none is refused");
    const bound: string[] = [];
    for (let i = 0; i < 3; i++) bound.push((await dora(f, `02:00:00:00:01:0${i}`, relayed)).yiaddr);
    const [nak] = await send(f, {
      type: T.REQUEST,
      mac: "02:00:00:00:00:07",
      requestedIp: offers[7]!,
      serverId: "198.18.10.1",
      ...relayed,
    });
    assert.equal(nak?.msg.messageType, T.NAK);
    assert.equal(readText(nak?.msg.options.get(Opt.MESSAGE)), "no free lease");
    assert.deepEqual(await send(f, { type: T.DISCOVER, mac: "02:00:00:00:02:00", ...relayed }), []);
    // A DISCOVER left unanswered has no reply in its event.
    assert.deepEqual(
      [
        f.events.at(-1)?.type,
        f.events.at(-1)?.ip,
        f.events.at(-1)?.detail?.reply,
        f.events.at(-1)?.detail?.relay,
      ],
      ["dhcp.discover", undefined, undefined, "198.18.11.1"],
    );
    assert.equal(f.handler.counters.get("dropped.max-leases"), 2);
    assert.ok(f.logger.records.some((r) => r.msg === "network at max_leases"));
    // A bound client still renews at the cap.
    const [ack] = await send(f, {
      type: T.REQUEST,
      mac: "02:00:00:00:01:00",
      ciaddr: bound[0]!,
      ...relayed,
    });
    assert.equal(ack?.msg.messageType, T.ACK);
  });

  test("a flood of DISCOVERs from made-up MACs leaves the pool to real clients", async () => {
    const f = await makeHandlerFixture();
    for (let i = 0; i < 200; i++) {
      const mac = `06:${[1, 2, 3, 4, 5]
        .map(() =>
          Math.floor(Math.random() * 256)
            .toString(16)
            .padStart(2, "0"),
        )
        .join(":")}`;
      const [o] = await send(f, { type: T.DISCOVER, mac });
      assert.ok(o, "every DISCOVER gets an offer: offers reserve nothing");
    }
    // Two machines booting together: different addresses, both bound.
    const [a] = await send(f, { type: T.DISCOVER, mac: "52:54:00:00:00:0a" });
    const [b] = await send(f, { type: T.DISCOVER, mac: "52:54:00:00:00:0b" });
    assert.ok(a && b);
    assert.notEqual(a.msg.yiaddr, b.msg.yiaddr);
    for (const [mac, offer] of [
      ["52:54:00:00:00:0a", a],
      ["52:54:00:00:00:0b", b],
    ] as const) {
      const [ack] = await send(f, {
        type: T.REQUEST,
        mac,
        requestedIp: offer.msg.yiaddr,
        serverId: "198.18.10.1",
      });
      assert.equal(ack?.msg.messageType, T.ACK, mac);
    }
    assert.equal(f.handler.counters.get("dropped.pool-exhausted"), 0);
  });

  test("the first REQUEST for an address offered to two MACs binds it; the other gets a NAK", async () => {
    const f = await makeHandlerFixture();
    // The pool bound full but one address, then two clients are offered that one.
    for (let i = 0; i < 9; i++) await dora(f, `02:00:00:00:00:${i.toString(16).padStart(2, "0")}`);
    const [a] = await send(f, { type: T.DISCOVER, mac: "52:54:00:00:00:0a" });
    const [b] = await send(f, { type: T.DISCOVER, mac: "52:54:00:00:00:0b" });
    assert.equal(a?.msg.yiaddr, "198.18.10.109");
    assert.equal(b?.msg.yiaddr, "198.18.10.109");
    const request = (mac: string) =>
      send(f, { type: T.REQUEST, mac, requestedIp: "198.18.10.109", serverId: "198.18.10.1" });
    assert.equal((await request("52:54:00:00:00:0b"))[0]?.msg.messageType, T.ACK);
    assert.equal((await request("52:54:00:00:00:0a"))[0]?.msg.messageType, T.NAK);
  });

  test("pool exhaustion is a log line, not a dead server", async () => {
    const f = await makeHandlerFixture();
    for (let i = 0; i < 10; i++) await dora(f, `02:00:00:00:00:${i.toString(16).padStart(2, "0")}`);
    const out = await send(f, { type: T.DISCOVER, mac: "02:00:00:00:01:00" });
    assert.deepEqual(out, []);
    assert.equal(f.handler.counters.get("dropped.pool-exhausted"), 1);
    // Known clients still renew.
    const [ack] = await send(f, { type: T.REQUEST, mac: "02:00:00:00:00:00", ciaddr: "198.18.10.100" });
    assert.equal(ack?.msg.messageType, T.ACK);
  });

  test("boot_unknown: false (ISC dhcpd's boot-unknown-clients false) serves declared hosts only", async () => {
    const f = await makeHandlerFixture(TEST_FLEET.replace("boot_unknown: true", "boot_unknown: false"));
    assert.deepEqual(await send(f, { type: T.DISCOVER, mac: MAC }), []);
    assert.equal(f.handler.counters.get("dropped.unknown-client"), 1);
    const ack = await dora(f, "00:c0:4f:ad:5c:bc");
    assert.equal(ack.yiaddr, "198.18.10.12");
  });

  test("malformed packets are dropped with one log line each and counted", async () => {
    const f = await makeHandlerFixture();
    const good = makeClientPacket({ type: T.DISCOVER, mac: MAC });
    const badCookie = Buffer.from(good);
    badCookie[236] = 0;
    for (const data of [good.subarray(0, 100), Buffer.alloc(3000), badCookie]) {
      assert.deepEqual(
        await f.handler.handle({ data, address: "198.18.10.7", port: 68, listener: "dhcp" }),
        [],
      );
    }
    assert.equal(f.handler.counters.get("dropped.malformed.truncated"), 1);
    assert.equal(f.handler.counters.get("dropped.malformed.oversized"), 1);
    assert.equal(f.handler.counters.get("dropped.malformed.bad-cookie"), 1);
    assert.equal(f.logger.records.filter((r) => r.level === "warn").length, 3);
  });

  test("a restart (new handler on the same store) loses no lease and never doubles an address", async () => {
    const f = await makeHandlerFixture();
    await dora(f, MAC);
    const g = await makeHandlerFixture(TEST_FLEET, { store: f.store, clock: f.clock });
    const [other] = await send(g, { type: T.DISCOVER, mac: "52:54:00:00:00:02" });
    assert.equal(other?.msg.yiaddr, "198.18.10.101");
    const [nak] = await send(g, { type: T.REQUEST, mac: "52:54:00:00:00:02", requestedIp: "198.18.10.100" });
    assert.equal(nak?.msg.messageType, T.NAK);
    const [ack] = await send(g, { type: T.REQUEST, mac: MAC, ciaddr: "198.18.10.100" });
    assert.equal(ack?.msg.messageType, T.ACK);
  });
});

describe("PXE clients", () => {
  const ipxeDiscover = () => pcapUdpPayloads(readFileSync(`${fixtures}ipxe-bios.pcap`))[0]!.payload;
  const ovmfDiscover = () => pcapUdpPayloads(readFileSync(`${fixtures}ovmf.pcap`))[0]!.payload;

  test("full mode: iPXE's real DISCOVER gives the planner its facts; the offer carries its boot file", async () => {
    const f = await makeHandlerFixture();
    const [offer] = await send(f, ipxeDiscover());
    const facts = f.planner.asked[0]!;
    assert.equal(facts.mac, "52:54:00:10:00:03");
    assert.equal(facts.arch, 0);
    assert.equal(facts.vendorClass, "PXEClient:Arch:00000:UNDI:002001");
    assert.equal(facts.userClass, "iPXE");
    assert.equal(facts.ipxe, true);
    assert.equal(facts.ip, offer?.msg.yiaddr);
    assert.equal(offer?.msg.siaddr, "198.18.10.1");
    assert.equal(offer?.msg.file, "http://198.18.10.1:8080/boot.ipxe");
    assert.equal(readText(offer?.msg.options.get(Opt.VENDOR_CLASS)), "PXEClient");
    assert.equal(decodePxeVendorOptions(offer!.msg.options.get(Opt.VENDOR_SPECIFIC)!).discoveryControl, 8);
    assert.equal(readText(offer?.msg.options.get(150)), "planner");
  });

  test("proxy mode: non-PXE clients are ignored, a PXE DISCOVER gets boot information but no address", async () => {
    const f = await makeHandlerFixture(TEST_FLEET.replace("mode: full", "mode: proxy"));
    assert.deepEqual(await send(f, { type: T.DISCOVER, mac: MAC }), []);
    assert.equal(f.handler.counters.get("ignored.proxy-not-pxe"), 1);
    const [offer] = await send(f, ovmfDiscover());
    assert.equal(offer?.msg.messageType, T.OFFER);
    assert.equal(offer?.msg.yiaddr, "0.0.0.0");
    assert.equal(offer?.msg.siaddr, "198.18.10.1");
    assert.equal(offer?.msg.file, "ipxe.efi");
    assert.equal(offer?.address, "255.255.255.255");
    assert.equal(offer?.from, "dhcp");
    assert.equal(readIp(offer?.msg.options.get(Opt.SERVER_ID)), "198.18.10.1");
    assert.equal(offer?.msg.options.has(Opt.LEASE_TIME), false);
    assert.equal(offer?.msg.options.has(Opt.ROUTERS), false);
    assert.equal(readText(offer?.msg.options.get(Opt.VENDOR_CLASS)), "PXEClient");
    assert.equal((await f.store.listLeases()).length, 0);
  });

  test("proxy mode, port 4011: REQUEST from 4011 (OVMF) or 68 is answered from 4011 to that port", async () => {
    const f = await makeHandlerFixture(TEST_FLEET.replace("mode: full", "mode: proxy"));
    const spec = {
      type: T.REQUEST,
      mac: "52:54:00:10:00:04",
      ciaddr: "198.18.10.140",
      vendorClass: "PXEClient:Arch:00007:UNDI:003000",
      arch: 7,
    };
    for (const port of [4011, 68]) {
      const [ack] = await send(f, spec, "proxy", { address: "198.18.10.140", port });
      assert.equal(ack?.msg.messageType, T.ACK);
      assert.equal(ack?.from, "proxy");
      assert.equal(ack?.address, "198.18.10.140");
      assert.equal(ack?.port, port);
      assert.equal(ack?.msg.ciaddr, "198.18.10.140");
      assert.equal(ack?.msg.yiaddr, "0.0.0.0");
      assert.equal(ack?.msg.file, "ipxe.efi");
    }
    // A REQUEST on port 67 is for the real DHCP server.
    assert.deepEqual(await send(f, spec, "dhcp"), []);
    assert.ok(f.events.some((e) => e.type === "dhcp.proxy"));
  });

  test("proxy mode: the planner saying no means silence", async () => {
    const f = await makeHandlerFixture(TEST_FLEET.replace("mode: full", "mode: proxy"));
    const out = await send(f, {
      type: T.DISCOVER,
      mac: "02:00:00:00:0f:0f",
      vendorClass: "PXEClient:Arch:00000",
    });
    assert.deepEqual(out, []);
  });
});
