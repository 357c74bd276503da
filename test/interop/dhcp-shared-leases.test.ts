/**
 * Two DHCP handlers sharing one PostgreSQL lease table through
 * SharedLeaseBook (docs/ha.md), in-process, against a PostgreSQL this test
 * starts (unix socket only). The table is the arbiter: two servers asked
 * for one address at once bind it once; a lease one server granted is
 * renewed by the other for its MAC and refused to any other MAC; rows one
 * writes reach the other's cache by LISTEN/NOTIFY.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { loadConfigFromString } from "../../src/config/load-config.js";
import { FleetResolver } from "../../src/config/resolve-machine.js";
import { EventBus } from "../../src/events/event-bus.js";
import { MemoryLogger } from "../../src/logging/logger.js";
import { decodeDhcp } from "../../src/protocols/dhcp/decode-dhcp.js";
import { type DhcpMessage, DhcpMessageType as T } from "../../src/protocols/dhcp/dhcp-message.js";
import { type ClientPacketSpec, makeClientPacket } from "../../src/protocols/dhcp/make-client-packet.js";
import { TEST_ADDRESSES, TEST_FLEET, TestPlanner } from "../../src/services/dhcp/dhcp-handler-fixture.js";
import { DhcpHandler } from "../../src/services/dhcp/dhcp-handler.js";
import { SharedLeaseBook } from "../../src/services/dhcp/shared-lease-book.js";
import { PostgresLeaseClaims } from "../../src/store/postgres/postgres-lease-claims.js";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { Store } from "../../src/store/store.js";
import { PostgresCluster } from "../support/postgres-cluster.js";
import { waitUntil } from "../support/wait-until.js";

let cluster: PostgresCluster;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  cluster = await PostgresCluster.start("shared-leases");
});

after(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  await cluster?.stop();
});

interface Server {
  readonly handler: DhcpHandler;
  readonly leases: SharedLeaseBook;
  readonly store: Store;
}

/** One server: its own store connection, claims and book, over the shared database. */
async function server(url: string, index: number): Promise<Server> {
  const config = loadConfigFromString(TEST_FLEET, "/test/bootfleet.yaml", { skipImageCheck: true });
  const store = openPostgresStore(url);
  await store.migrate();
  const claims = new PostgresLeaseClaims(url);
  closers.push(
    () => store.close(),
    () => claims.close(),
  );
  const clock = { now: () => Date.now() };
  const leases = new SharedLeaseBook({ store, clock, claims, share: { index, count: 2 } });
  const handler = new DhcpHandler({
    config,
    addresses: TEST_ADDRESSES,
    resolver: new FleetResolver(config),
    planner: new TestPlanner(),
    store,
    bus: new EventBus(clock),
    logger: new MemoryLogger(),
    clock,
    leases,
  });
  await handler.start();
  return { handler, leases, store };
}

async function send(s: Server, spec: ClientPacketSpec): Promise<DhcpMessage[]> {
  const out = await s.handler.handle({
    data: makeClientPacket(spec),
    address: "0.0.0.0",
    port: 68,
    listener: "dhcp",
  });
  return out.map((o) => decodeDhcp(o.data));
}

describe("two servers sharing the PostgreSQL lease table", () => {
  test("one address asked of both at once by two MACs is bound once: one ACK, one NAK", async () => {
    const url = await cluster.database();
    const [a, b] = [await server(url, 0), await server(url, 1)];
    const ip = "198.18.10.105";
    const ask = (s: Server, mac: string) =>
      send(s, { type: T.REQUEST, mac, requestedIp: ip, serverId: "198.18.10.1" });
    const [fromA, fromB] = await Promise.all([ask(a, "02:00:00:00:0a:01"), ask(b, "02:00:00:00:0b:01")]);
    const types = [fromA[0]?.messageType, fromB[0]?.messageType].sort();
    assert.deepEqual(types, [T.ACK, T.NAK].sort(), "exactly one ACK and one NAK");
    const winner = fromA[0]?.messageType === T.ACK ? "02:00:00:00:0a:01" : "02:00:00:00:0b:01";
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const rows = (await db.query("SELECT mac, state FROM leases WHERE ip = $1", [ip])).rows;
      assert.deepEqual(rows, [{ mac: winner, state: "bound" }]);
    } finally {
      await db.end();
    }
    // The loser's book learnt the holder: its next offer to the loser is another address.
    const loser = fromA[0]?.messageType === T.ACK ? b : a;
    assert.equal(loser.leases.byIp(ip)?.mac, winner);
  });

  test("a lease granted by one is renewed by the other for its MAC and refused to another MAC", async () => {
    const url = await cluster.database();
    const [a, b] = [await server(url, 0), await server(url, 1)];
    const mac = "02:00:00:00:0a:02";
    const [offer] = await send(a, { type: T.DISCOVER, mac });
    assert.ok(offer);
    const [ack] = await send(a, {
      type: T.REQUEST,
      mac,
      requestedIp: offer.yiaddr,
      serverId: "198.18.10.1",
    });
    assert.equal(ack?.messageType, T.ACK);
    const ip = ack!.yiaddr;
    // B hears of it by NOTIFY and stops offering it.
    await waitUntil(() => b.leases.byIp(ip)?.state === "bound", "the other server's book to learn the lease");
    const [other] = await send(b, { type: T.DISCOVER, mac: "02:00:00:00:0b:02" });
    assert.notEqual(other?.yiaddr, ip);
    // RENEWING/REBINDING at B (RFC 2131 §4.3.2): ACKed, same address.
    const [renew] = await send(b, { type: T.REQUEST, mac, ciaddr: ip });
    assert.equal(renew?.messageType, T.ACK);
    assert.equal(renew?.yiaddr, ip);
    // INIT-REBOOT of another MAC for that address: NAK.
    const [nak] = await send(b, { type: T.REQUEST, mac: "02:00:00:00:0b:03", requestedIp: ip });
    assert.equal(nak?.messageType, T.NAK);
  });

  test("a stale cache cannot grant a bound address: the claim is refused and answered NAK", async () => {
    const url = await cluster.database();
    const a = await server(url, 0);
    const ip = "198.18.10.107";
    const [ack] = await send(a, {
      type: T.REQUEST,
      mac: "02:00:00:00:0a:04",
      requestedIp: ip,
      serverId: "198.18.10.1",
    });
    assert.equal(ack?.messageType, T.ACK);
    // A server whose book never loaded that row (as after a lost
    // notification) believes the address free; the table refuses the claim.
    const config = loadConfigFromString(TEST_FLEET, "/test/bootfleet.yaml", { skipImageCheck: true });
    const store = openPostgresStore(url);
    const claims = new PostgresLeaseClaims(url);
    closers.push(
      () => store.close(),
      () => claims.close(),
    );
    const clock = { now: () => Date.now() };
    const leases = new SharedLeaseBook({ store, clock, claims, share: { index: 1, count: 2 } });
    const blind = new DhcpHandler({
      config,
      addresses: TEST_ADDRESSES,
      resolver: new FleetResolver(config),
      planner: new TestPlanner(),
      store,
      bus: new EventBus(clock),
      logger: new MemoryLogger(),
      clock,
      leases,
    });
    const [nak] = (
      await blind.handle({
        data: makeClientPacket({
          type: T.REQUEST,
          mac: "02:00:00:00:0b:04",
          requestedIp: ip,
          serverId: "198.18.10.1",
        }),
        address: "0.0.0.0",
        port: 68,
        listener: "dhcp",
      })
    ).map((o) => decodeDhcp(o.data));
    assert.equal(nak?.messageType, T.NAK);
    assert.equal(leases.byIp(ip)?.mac, "02:00:00:00:0a:04", "the book learnt the holder from the refusal");
  });
});
