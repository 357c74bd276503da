import assert from "node:assert/strict";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, type Server } from "node:net";
import { afterEach, describe, it } from "node:test";
import { type BootEvent, EventBus } from "../../events/event-bus.js";
import { MemoryLogger } from "../../logging/logger.js";
import { MemoryStore } from "../../store/memory/memory-store.js";
import type { LogRow, NewLog, LogRetention } from "../../store/store.js";
import { waitUntil } from "../../../test/support/wait-until.js";
import { SyslogService, type SyslogServiceOptions } from "./syslog-service.js";

const MAC = "52:54:00:12:34:56";
const T = Date.UTC(2026, 10, 24, 17, 30, 0);

interface Harness {
  service: SyslogService;
  store: MemoryStore;
  logger: MemoryLogger;
  events: BootEvent[];
  udp: UdpSocket;
  tcp: Server;
  udpPort: number;
  tcpPort: number;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.service.close();
    h.udp.close();
    await new Promise((r) => h.tcp.close(r));
  }
});

async function harness(
  over: Partial<SyslogServiceOptions> = {},
  store = new MemoryStore(),
): Promise<Harness> {
  const bus = new EventBus({ now: () => T });
  const events: BootEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const logger = new MemoryLogger();
  const service = new SyslogService({
    store,
    bus,
    logger,
    clock: { now: () => T },
    utcOffsetMinutes: 0,
    retention: { perMachine: 100, total: 1000 },
    machineAt: (ip) => (ip === "127.0.0.1" ? MAC : null),
    ...over,
  });
  const udp = createSocket("udp4");
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", r));
  const tcp = createServer();
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  service.attachUdp(udp);
  service.attachTcp(tcp);
  const h = {
    service,
    store,
    logger,
    events,
    udp,
    tcp,
    udpPort: udp.address().port,
    tcpPort: (tcp.address() as { port: number }).port,
  };
  open.push(h);
  return h;
}

async function sendUdp(port: number, ...lines: string[]): Promise<void> {
  const s = createSocket("udp4");
  for (const l of lines) await new Promise((r) => s.send(Buffer.from(l), port, "127.0.0.1", r));
  s.close();
}

/** Writes each chunk in its own write (with a pause so they arrive as separate segments), then ends. */
async function sendTcp(port: number, chunks: (string | Buffer)[], end = true): Promise<void> {
  const c = connect(port, "127.0.0.1");
  await new Promise((r) => c.once("connect", r));
  for (const ch of chunks) {
    c.write(ch);
    await new Promise((r) => setTimeout(r, 5));
  }
  if (end) await new Promise<void>((r) => c.end(r));
}

/** Waits, bounded, until the store holds `n` lines. */
async function lines(h: Harness, n: number): Promise<readonly LogRow[]> {
  for (let i = 0; i < 500; i++) {
    await h.service.flush();
    const rows = await h.store.listLogs({});
    if (rows.length >= n) return rows;
    await new Promise((r) => setTimeout(r, 10));
  }
  return h.store.listLogs({});
}

describe("syslog service", () => {
  it("stores UDP lines in both formats for the machine at the source address, and publishes them", async () => {
    const h = await harness();
    await sendUdp(
      h.udpPort,
      "<30>Nov 24 17:27:16 lab3-14 systemd[1]: Started foo.service.",
      '<134>1 2026-11-24T17:27:16.711Z lab3-14 bootfleet-hook 77 STAGE [x@1 a="b"] root mounted\n',
    );
    const rows = await lines(h, 2);
    assert.deepEqual(
      rows.map(({ id: _id, ...r }) => r),
      [
        {
          at: T,
          mac: MAC,
          ip: "127.0.0.1",
          facility: 3,
          severity: 6,
          hostname: "lab3-14",
          app: "systemd",
          message: "Started foo.service.",
        },
        {
          at: T,
          mac: MAC,
          ip: "127.0.0.1",
          facility: 16,
          severity: 6,
          hostname: "lab3-14",
          app: "bootfleet-hook",
          message: "root mounted",
        },
      ],
    );
    assert.equal(h.events.length, 2);
    assert.equal(h.events[0]?.type, "syslog.line");
    assert.equal(h.events[0]?.mac, MAC);
    assert.equal(h.events[0]?.detail?.id, rows[0]?.id);
    assert.equal(h.events[0]?.detail?.sent_at, Date.UTC(2026, 10, 24, 17, 27, 16));
    assert.equal(h.events[1]?.detail?.procid, "77");
  });

  it("an unknown source address is stored without a MAC; async lookups keep the order", async () => {
    const h = await harness({
      machineAt: async () => {
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        return null;
      },
    });
    await sendUdp(h.udpPort, ...Array.from({ length: 20 }, (_, i) => `<13>line ${i}`));
    const rows = await lines(h, 20);
    assert.deepEqual(
      rows.map((r) => r.message),
      Array.from({ length: 20 }, (_, i) => `line ${i}`),
    );
    assert.ok(rows.every((r) => r.mac === null && r.ip === "127.0.0.1"));
    assert.equal(h.events[0]?.mac, undefined);
  });

  it("frames TCP streams split anywhere, both framings, and a last line without LF", async () => {
    const h = await harness();
    const octet = "<13>1 - h app - - - counted ü";
    const framed = `${Buffer.byteLength(octet)} ${octet}`;
    await sendTcp(h.tcpPort, [
      framed.slice(0, 3),
      framed.slice(3, 17),
      framed.slice(17),
      "<14>app: line\n<15>app: la",
      "st",
    ]);
    const rows = await lines(h, 3);
    assert.deepEqual(
      rows.map((r) => r.message),
      ["counted ü", "line", "last"],
    );
  });

  it("drops a malformed datagram with one log line and goes on", async () => {
    const h = await harness();
    await sendUdp(h.udpPort, "<999>bad", "<13>1 - - - - - [broken", "<13>good");
    // "good" was sent last on the same socket: once it is stored, both
    // malformed datagrams before it have been handled.
    const rows = await lines(h, 1);
    assert.deepEqual(
      (await h.store.listLogs({})).map((r) => r.message),
      ["good"],
    );
    assert.equal(rows.length, 1);
    assert.equal(h.service.counters.malformed, 2);
    const warns = h.logger.records.filter((r) => r.level === "warn");
    assert.equal(warns.length, 1, "rate-limited: the first of a run is logged");
    assert.deepEqual(warns[0]?.obj, {
      ip: "127.0.0.1",
      transport: "udp",
      err: "syslog: invalid PRI: 999 is above 191",
      malformed: 1,
    });
  });

  it("closes only the connection whose framing breaks", async () => {
    const h = await harness();
    const good = connect(h.tcpPort, "127.0.0.1");
    await new Promise((r) => good.once("connect", r));
    const bad = connect(h.tcpPort, "127.0.0.1");
    const badClosed = new Promise((r) => bad.once("close", r));
    bad.on("error", () => {});
    bad.write("12x <13>oops\n");
    await badClosed;
    good.write("<13>a: still here\n");
    const rows = await lines(h, 1);
    assert.deepEqual(
      rows.map((r) => r.message),
      ["still here"],
    );
    assert.equal(h.service.counters.framingErrors, 1);
    good.destroy();
  });

  it("applies the retention it is given", async () => {
    const retentions: LogRetention[] = [];
    class Spy extends MemoryStore {
      override addLog(line: NewLog, r: LogRetention) {
        retentions.push(r);
        return super.addLog(line, r);
      }
    }
    const h = await harness({ retention: { perMachine: 3, total: 10 } }, new Spy());
    await sendUdp(h.udpPort, ...Array.from({ length: 6 }, (_, i) => `<13>n${i}`));
    await waitUntil(() => h.service.counters.received === 6, "all six lines received");
    await h.service.flush();
    assert.deepEqual(
      (await h.store.listLogs({ mac: MAC })).map((r) => r.message),
      ["n3", "n4", "n5"],
    );
    assert.deepEqual(retentions[0], { perMachine: 3, total: 10 });
  });

  it("drops and counts lines beyond maxPending while the store is slow", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    class Slow extends MemoryStore {
      override async addLog(line: NewLog, r: LogRetention) {
        await gate;
        return super.addLog(line, r);
      }
    }
    const h = await harness({ maxPending: 2 }, new Slow());
    await sendUdp(h.udpPort, "<13>a", "<13>b", "<13>c", "<13>d");
    for (let i = 0; i < 200 && h.service.counters.received < 4; i++)
      await new Promise((r) => setTimeout(r, 5));
    release();
    const rows = await lines(h, 2);
    assert.deepEqual(
      rows.map((r) => r.message),
      ["a", "b"],
    );
    assert.equal(h.service.counters.dropped, 2);
  });

  it("close() stops receiving and ends open connections", async () => {
    const h = await harness();
    // The service listens first, so once the server emits "connection" to
    // this listener the service holds the connection that close() must end.
    const accepted = new Promise((r) => h.tcp.once("connection", r));
    const c = connect(h.tcpPort, "127.0.0.1");
    c.on("error", () => {});
    await accepted;
    const closed = new Promise((r) => c.once("close", r));
    await h.service.close();
    await closed;
    // The socket stays open (its owner closes it): the datagram arrives, and
    // the service, which no longer listens, must not store it.
    const arrived = new Promise((r) => h.udp.once("message", r));
    await sendUdp(h.udpPort, "<13>after close");
    await arrived;
    await h.service.flush();
    assert.deepEqual(await h.store.listLogs({}), []);
  });
});
