/**
 * The one test suite every store backend runs, so they cannot drift apart:
 * memory and SQLite in `store.test.ts`, PostgreSQL in
 * `test/interop/store-postgres.test.ts`.
 * A backend passes when it answers exactly what the memory store answers,
 * except that SQL backends may hold a bounded overshoot of log lines between
 * retention passes (see `pruneInterval`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pruneInterval } from "./prune-interval.js";
import type { LeaseRow, LogRetention, NewLog, Store } from "./store.js";

export interface StoreUnderTest {
  /** A new, empty store, already migrated. */
  readonly store: Store;
  /** Opens the same database again after `store.close()`; absent for memory. */
  readonly reopen?: (() => Promise<Store>) | undefined;
}

export interface StoreSuiteOptions {
  /** Exact retention on every insert (memory) rather than every pruneInterval inserts. */
  readonly exactRetention: boolean;
  /** The backend keeps data across close (the reopen test runs). */
  readonly persistent: boolean;
}

const T0 = 1_763_000_000_000; // a realistic epoch-milliseconds value: must survive BIGINT round trips

const MAC_A = "52:54:00:00:00:0a";
const MAC_B = "52:54:00:00:00:0b";
const MAC_C = "52:54:00:00:00:0c";
const NET = "198.18.0.0/24";
const NET2 = "198.18.1.0/24";

function lease(over: Partial<LeaseRow> & Pick<LeaseRow, "ip" | "mac">): LeaseRow {
  return {
    network: NET,
    state: "bound",
    hostname: null,
    clientId: null,
    start: T0,
    expires: T0 + 3_600_000,
    ...over,
  };
}

function log(over: Partial<NewLog> & Pick<NewLog, "message">): NewLog {
  return {
    at: T0,
    mac: MAC_A,
    ip: "198.18.0.10",
    facility: 1,
    severity: 6,
    hostname: "lab3-14",
    app: "kernel",
    ...over,
  };
}

export function runStoreSuite(
  name: string,
  open: () => Promise<StoreUnderTest>,
  options: StoreSuiteOptions,
): void {
  /** Runs fn with a fresh store and closes it after, also on failure. */
  async function withStore(fn: (s: Store, u: StoreUnderTest) => Promise<void>): Promise<void> {
    const u = await open();
    let closed = false;
    try {
      await fn(u.store, {
        ...u,
        reopen: u.reopen
          ? async () => {
              closed = true;
              return u.reopen!();
            }
          : undefined,
      });
    } finally {
      if (!closed) await u.store.close();
    }
  }

  describe(`store suite: ${name}`, () => {
    it("migrate is idempotent", () =>
      withStore(async (s) => {
        await s.migrate();
        await s.migrate();
        assert.deepEqual(await s.listMachines(), []);
      }));

    describe("machines", () => {
      it("a new machine starts off, with what was seen", () =>
        withStore(async (s) => {
          assert.equal(await s.getMachine(MAC_A), null);
          await s.noteMachine({ mac: MAC_A, at: T0 });
          assert.deepEqual(await s.getMachine(MAC_A), {
            mac: MAC_A,
            ip: null,
            hostname: null,
            arch: null,
            state: "off",
            firstSeen: T0,
            lastSeen: T0,
          });
        }));

      it("undefined and null keep what is known; first/last seen widen", () =>
        withStore(async (s) => {
          await s.noteMachine({
            mac: MAC_A,
            ip: "198.18.0.10",
            hostname: "lab3-14",
            arch: 7,
            state: "dhcp",
            at: T0 + 10,
          });
          await s.noteMachine({ mac: MAC_A, ip: null, hostname: undefined, at: T0 + 20 });
          await s.noteMachine({ mac: MAC_A, state: "up", at: T0 + 5 });
          assert.deepEqual(await s.getMachine(MAC_A), {
            mac: MAC_A,
            ip: "198.18.0.10",
            hostname: "lab3-14",
            arch: 7,
            state: "up",
            firstSeen: T0 + 5,
            lastSeen: T0 + 20,
          });
          await s.noteMachine({ mac: MAC_A, ip: "198.18.0.11", arch: 0, at: T0 + 30 });
          const m = await s.getMachine(MAC_A);
          assert.equal(m?.ip, "198.18.0.11");
          assert.equal(m?.arch, 0, "arch 0 (BIOS) is a value, not absence");
        }));

      it("lists by MAC and notes batches in order", () =>
        withStore(async (s) => {
          await s.noteMachines([
            { mac: MAC_C, at: T0 },
            { mac: MAC_A, state: "dhcp", at: T0 },
            { mac: MAC_A, state: "loading", at: T0 + 1 },
            { mac: MAC_B, hostname: "b", at: T0 },
          ]);
          await s.noteMachines([]);
          const all = await s.listMachines();
          assert.deepEqual(
            all.map((m) => [m.mac, m.state]),
            [
              [MAC_A, "loading"],
              [MAC_B, "off"],
              [MAC_C, "off"],
            ],
          );
        }));

      it("takes a batch's first moment as first_seen, never later than one already stored", () =>
        withStore(async (s) => {
          await s.noteMachines([{ mac: MAC_A, state: "dhcp", at: T0 + 20, firstAt: T0 + 10 }]);
          let m = await s.getMachine(MAC_A);
          assert.deepEqual([m?.firstSeen, m?.lastSeen], [T0 + 10, T0 + 20]);
          await s.noteMachines([{ mac: MAC_A, at: T0 + 40, firstAt: T0 + 30 }]);
          m = await s.getMachine(MAC_A);
          assert.deepEqual([m?.firstSeen, m?.lastSeen], [T0 + 10, T0 + 40]);
          await s.noteMachines([{ mac: MAC_A, at: T0 + 50, firstAt: T0 }]);
          m = await s.getMachine(MAC_A);
          assert.deepEqual([m?.firstSeen, m?.lastSeen], [T0, T0 + 50]);
        }));
    });

    describe("machine overrides", () => {
      it("sets, replaces and lists by MAC", () =>
        withStore(async (s) => {
          assert.deepEqual(await s.listMachineOverrides(), []);
          await s.setMachineImage(MAC_B, "tiny", T0, "api-token");
          await s.setMachineImage(MAC_A, "debian", T0 + 1, "api-token");
          await s.setMachineImage(MAC_A, "trusty-amd64", T0 + 2, "alice");
          assert.deepEqual(await s.listMachineOverrides(), [
            { mac: MAC_A, image: "trusty-amd64", setAt: T0 + 2, setBy: "alice" },
            { mac: MAC_B, image: "tiny", setAt: T0, setBy: "api-token" },
          ]);
        }));

      it("null removes the override; removing an absent one is a no-op", () =>
        withStore(async (s) => {
          await s.setMachineImage(MAC_A, "debian", T0, "api-token");
          await s.setMachineImage(MAC_B, "tiny", T0, "api-token");
          await s.setMachineImage(MAC_A, null, T0 + 1, "api-token");
          await s.setMachineImage(MAC_C, null, T0 + 1, "api-token");
          assert.deepEqual(await s.listMachineOverrides(), [
            { mac: MAC_B, image: "tiny", setAt: T0, setBy: "api-token" },
          ]);
          // Overrides are independent of the machines table.
          assert.equal(await s.getMachine(MAC_B), null);
        }));
    });

    describe("address bindings", () => {
      it("keeps one machine per address and one address per machine, listed by address", () =>
        withStore(async (s) => {
          assert.deepEqual(await s.listAddressBindings(), []);
          await s.putAddressBinding({ ip: "198.18.0.10", mac: MAC_A, source: "pxe-request", seenAt: T0 });
          await s.putAddressBinding({ ip: "198.18.0.9", mac: MAC_B, source: "dhcp-request", seenAt: T0 + 1 });
          // MAC_A moves: its old address is no longer its.
          await s.putAddressBinding({
            ip: "198.18.0.11",
            mac: MAC_A,
            source: "dhcp-request",
            seenAt: T0 + 2,
          });
          // The address MAC_B had is handed to MAC_C by the other server.
          await s.putAddressBinding({ ip: "198.18.0.9", mac: MAC_C, source: "dhcp-request", seenAt: T0 + 3 });
          assert.deepEqual(await s.listAddressBindings(), [
            { ip: "198.18.0.9", mac: MAC_C, source: "dhcp-request", seenAt: T0 + 3 },
            { ip: "198.18.0.11", mac: MAC_A, source: "dhcp-request", seenAt: T0 + 2 },
          ]);
          await s.deleteAddressBinding("198.18.0.9");
          await s.deleteAddressBinding("198.18.0.200");
          assert.deepEqual(await s.listAddressBindings(), [
            { ip: "198.18.0.11", mac: MAC_A, source: "dhcp-request", seenAt: T0 + 2 },
          ]);
        }));
    });

    describe("leases", () => {
      it("put, get by address and by MAC, replace, delete", () =>
        withStore(async (s) => {
          const l = lease({ ip: "198.18.0.100", mac: MAC_A, hostname: "h", clientId: "01525400" });
          await s.putLease(l);
          assert.deepEqual(await s.getLeaseByIp("198.18.0.100"), l);
          assert.deepEqual(await s.getLeaseByMac(MAC_A, NET), l);
          assert.equal(await s.getLeaseByMac(MAC_A, NET2), null);
          assert.equal(await s.getLeaseByIp("198.18.0.101"), null);
          const renewed = { ...l, expires: T0 + 7_200_000, state: "bound" as const, hostname: null };
          await s.putLease(renewed);
          assert.deepEqual(await s.getLeaseByIp(l.ip), renewed);
          assert.equal((await s.listLeases()).length, 1);
          await s.deleteLease(l.ip);
          assert.equal(await s.getLeaseByIp(l.ip), null);
          await s.deleteLease(l.ip);
        }));

      it("putLeases writes a batch in order: a later row for the same address wins", () =>
        withStore(async (s) => {
          const a = lease({ ip: "198.18.0.100", mac: MAC_A, state: "offered", hostname: "a" });
          const b = lease({ ip: "198.18.0.101", mac: MAC_B, network: NET, clientId: "01525400" });
          const aBound = { ...a, state: "bound" as const, expires: T0 + 7_200_000, hostname: null };
          await s.putLeases([a, b, aBound]);
          assert.deepEqual(await s.getLeaseByIp(a.ip), aBound);
          assert.deepEqual(await s.getLeaseByIp(b.ip), b);
          await s.putLeases([]);
          assert.equal((await s.listLeases()).length, 2);
          // Replacing rows written by putLease works the same.
          const bReleased = { ...b, state: "released" as const };
          await s.putLeases([bReleased]);
          assert.deepEqual(await s.getLeaseByIp(b.ip), bReleased);
        }));

      it("by MAC: the most recent start wins", () =>
        withStore(async (s) => {
          await s.putLease(lease({ ip: "198.18.0.100", mac: MAC_A, start: T0, state: "expired" }));
          await s.putLease(lease({ ip: "198.18.0.120", mac: MAC_A, start: T0 + 1000 }));
          await s.putLease(lease({ ip: "198.18.0.110", mac: MAC_A, start: T0 + 500, state: "released" }));
          assert.equal((await s.getLeaseByMac(MAC_A, NET))?.ip, "198.18.0.120");
        }));

      it("lists in numeric address order, by network", () =>
        withStore(async (s) => {
          for (const ip of ["198.18.0.100", "198.18.0.9", "198.18.0.20", "198.18.1.5"]) {
            await s.putLease(lease({ ip, mac: MAC_B, network: ip.startsWith("198.18.1.") ? NET2 : NET }));
          }
          assert.deepEqual(
            (await s.listLeases()).map((l) => l.ip),
            ["198.18.0.9", "198.18.0.20", "198.18.0.100", "198.18.1.5"],
          );
          assert.deepEqual(
            (await s.listLeases(NET)).map((l) => l.ip),
            ["198.18.0.9", "198.18.0.20", "198.18.0.100"],
          );
          assert.deepEqual(
            (await s.listLeases(NET2)).map((l) => l.ip),
            ["198.18.1.5"],
          );
        }));

      it("queries and counts by state, MAC and expiry; expires running leases", () =>
        withStore(async (s) => {
          await s.putLease(lease({ ip: "198.18.0.1", mac: MAC_A, state: "offered", expires: T0 + 60_000 }));
          await s.putLease(lease({ ip: "198.18.0.2", mac: MAC_B, state: "bound", expires: T0 + 120_000 }));
          await s.putLease(lease({ ip: "198.18.0.3", mac: MAC_C, state: "declined", expires: T0 + 10 }));
          await s.putLease(lease({ ip: "198.18.0.4", mac: MAC_C, state: "released", expires: T0 + 10 }));
          await s.putLease(
            lease({ ip: "198.18.1.1", mac: MAC_A, network: NET2, state: "bound", expires: T0 }),
          );
          const running = { network: NET, states: ["offered", "bound"] as const, expiresAfter: T0 + 60_000 };
          assert.deepEqual(
            (await s.queryLeases(running)).map((l) => l.ip),
            ["198.18.0.2"],
          );
          assert.equal(await s.countLeases({ network: NET, states: ["offered", "bound"] }), 2);
          assert.equal(await s.countLeases({}), 5);
          assert.equal(await s.countLeases({ mac: MAC_C }), 2);
          assert.equal(await s.countLeases({ states: [] }), 0);
          assert.deepEqual(
            (await s.queryLeases({ expiresBefore: T0 + 10 })).map((l) => l.ip),
            ["198.18.0.3", "198.18.0.4", "198.18.1.1"],
          );
          assert.deepEqual(
            (await s.queryLeases({ limit: 2 })).map((l) => l.ip),
            ["198.18.0.1", "198.18.0.2"],
          );
          assert.equal(await s.countLeases({ limit: 1 }), 5, "count ignores limit");

          assert.equal(await s.expireLeases(T0 + 60_000, NET), 1);
          assert.equal((await s.getLeaseByIp("198.18.0.1"))?.state, "expired");
          assert.equal((await s.getLeaseByIp("198.18.1.1"))?.state, "bound", "other network untouched");
          assert.equal(await s.expireLeases(T0 + 200_000), 2);
          assert.equal((await s.getLeaseByIp("198.18.0.3"))?.state, "declined", "declined stays declined");
          assert.equal(await s.countLeases({ states: ["expired"] }), 3);
          assert.equal(await s.expireLeases(T0 + 200_000), 0);
        }));

      it("many leases keep their values exactly", () =>
        withStore(async (s) => {
          const put: LeaseRow[] = [];
          for (let i = 1; i <= 200; i++) {
            const l = lease({
              ip: `198.18.${i >> 8}.${i & 255}`,
              mac: `52:54:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
              start: T0 + i,
              expires: T0 + i + 600_000,
              hostname: `host-${i}`,
            });
            put.push(l);
            await s.putLease(l);
          }
          assert.deepEqual(await s.listLeases(NET), put.slice(0, 255));
        }));
    });

    describe("events", () => {
      it("ids grow; fields and JSON details round-trip", () =>
        withStore(async (s) => {
          const id1 = await s.addEvent({
            at: T0,
            type: "dhcp.discover",
            protocol: "dhcp",
            mac: MAC_A,
            detail: { arch: 7, vendor: "PXEClient:Arch:00007", nested: { a: [1, "two", null] }, u: "é✓" },
          });
          const id2 = await s.addEvent({ at: T0 + 1, type: "tftp.rrq", protocol: "tftp", ip: "198.18.0.10" });
          assert.ok(id2 > id1 && id1 > 0);
          const rows = await s.listEvents({});
          assert.deepEqual(rows, [
            {
              id: id1,
              at: T0,
              type: "dhcp.discover",
              protocol: "dhcp",
              mac: MAC_A,
              ip: null,
              stage: null,
              detail: { arch: 7, vendor: "PXEClient:Arch:00007", nested: { a: [1, "two", null] }, u: "é✓" },
            },
            {
              id: id2,
              at: T0 + 1,
              type: "tftp.rrq",
              protocol: "tftp",
              mac: null,
              ip: "198.18.0.10",
              stage: null,
              detail: {},
            },
          ]);
        }));

      it("filters by machine, type, protocol, afterId; orders; limits", () =>
        withStore(async (s) => {
          const ids = await s.addEvents([
            { at: T0, type: "dhcp.discover", protocol: "dhcp", mac: MAC_A },
            { at: T0, type: "dhcp.offer", protocol: "dhcp", mac: MAC_A },
            { at: T0, type: "dhcp.discover", protocol: "dhcp", mac: MAC_B },
            { at: T0 + 1, type: "client.stage", protocol: "client", mac: MAC_A, stage: "initrd" },
            { at: T0 + 2, type: "client.stage", protocol: "client", mac: MAC_A, stage: "init" },
          ]);
          assert.equal(ids.length, 5);
          for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!);
          assert.deepEqual(await s.addEvents([]), []);
          const types = (rows: readonly { type: string; stage: string | null }[]) =>
            rows.map((r) => (r.stage ? `${r.type}:${r.stage}` : r.type));
          assert.deepEqual(types(await s.listEvents({ mac: MAC_A })), [
            "dhcp.discover",
            "dhcp.offer",
            "client.stage:initrd",
            "client.stage:init",
          ]);
          assert.deepEqual(
            (await s.listEvents({ type: "dhcp.discover" })).map((r) => r.mac),
            [MAC_A, MAC_B],
          );
          assert.equal((await s.listEvents({ protocol: "client" })).length, 2);
          assert.deepEqual(
            (await s.listEvents({ afterId: ids[2] })).map((r) => r.id),
            [ids[3], ids[4]],
          );
          assert.deepEqual(
            (await s.listEvents({ order: "desc", limit: 2 })).map((r) => r.id),
            [ids[4], ids[3]],
          );
          assert.deepEqual(
            (await s.listEvents({ mac: MAC_A, order: "desc", limit: 3, afterId: ids[0] })).map((r) => r.id),
            [ids[4], ids[3], ids[1]],
          );
          assert.deepEqual(
            (await s.listEvents({ limit: 2 })).map((r) => r.id),
            [ids[0], ids[1]],
          );
          assert.deepEqual(await s.listEvents({ limit: 0 }), []);
          assert.deepEqual(await s.listEvents({ mac: MAC_C }), []);
        }));

      it("pruneEvents deletes events older than the cutoff, oldest first, at most limit; ids are not reused", () =>
        withStore(async (s) => {
          assert.ok(s.pruneEvents, "every backend prunes events (events.keep_days)");
          const day = 86_400_000;
          // Stored out of time order on purpose: two servers sharing a store interleave.
          const ids = await s.addEvents([
            { at: T0 - 40 * day, type: "dhcp.discover", protocol: "dhcp", mac: MAC_A },
            { at: T0 - 31 * day, type: "dhcp.ack", protocol: "dhcp", mac: MAC_A },
            { at: T0 - 35 * day, type: "tftp.rrq", protocol: "tftp", mac: MAC_B },
            { at: T0 - 29 * day, type: "client.stage", protocol: "client", mac: MAC_A, stage: "init" },
            { at: T0, type: "http.get", protocol: "http", mac: MAC_B },
          ]);
          const cutoff = T0 - 30 * day;
          assert.equal(await s.pruneEvents(cutoff, 2), 2);
          assert.deepEqual(
            (await s.listEvents({})).map((r) => r.id),
            [ids[1], ids[3], ids[4]],
            "the two oldest by time went first",
          );
          assert.equal(await s.pruneEvents(cutoff), 1);
          assert.equal(await s.pruneEvents(cutoff), 0);
          assert.deepEqual(
            (await s.listEvents({})).map((r) => r.id),
            [ids[3], ids[4]],
          );
          // A follower resuming after a pruned id neither misses nor repeats rows.
          const [next] = await s.addEvents([{ at: T0 + 1, type: "dhcp.discover", protocol: "dhcp" }]);
          assert.ok(next! > ids[4]!);
          assert.deepEqual(
            (await s.listEvents({ afterId: ids[0] })).map((r) => r.id),
            [ids[3], ids[4], next],
          );
          assert.equal(await s.pruneEvents(T0 + 10, 0), 0, "limit 0 deletes nothing");
          assert.equal(await s.pruneEvents(T0 + 10), 3);
          assert.deepEqual(await s.listEvents({}), []);
        }));
    });

    describe("client logs", () => {
      it("adds and lists by machine, address, afterId, order, limit", () =>
        withStore(async (s) => {
          const big: LogRetention = { perMachine: 1000, total: 10_000 };
          const a1 = await s.addLog(log({ message: "one" }), big);
          const b1 = await s.addLog(log({ message: "b one", mac: MAC_B, ip: "198.18.0.11" }), big);
          const n1 = await s.addLog(
            log({
              message: "unknown ✓",
              mac: null,
              ip: "198.18.0.99",
              facility: null,
              severity: null,
              hostname: null,
              app: null,
            }),
            big,
          );
          const a2 = await s.addLog(log({ message: "two", at: T0 + 5 }), big);
          assert.ok(a1 < b1 && b1 < n1 && n1 < a2);
          assert.deepEqual(await s.listLogs({ mac: MAC_A }), [
            { id: a1, ...log({ message: "one" }) },
            { id: a2, ...log({ message: "two", at: T0 + 5 }) },
          ]);
          assert.deepEqual(await s.listLogs({ ip: "198.18.0.99" }), [
            {
              id: n1,
              at: T0,
              mac: null,
              ip: "198.18.0.99",
              facility: null,
              severity: null,
              hostname: null,
              app: null,
              message: "unknown ✓",
            },
          ]);
          assert.deepEqual(
            (await s.listLogs({})).map((l) => l.id),
            [a1, b1, n1, a2],
          );
          assert.deepEqual(
            (await s.listLogs({ afterId: b1 })).map((l) => l.id),
            [n1, a2],
          );
          assert.deepEqual(
            (await s.listLogs({ order: "desc", limit: 3 })).map((l) => l.id),
            [a2, n1, b1],
          );
          assert.deepEqual(
            (await s.listLogs({ mac: MAC_A, order: "desc", limit: 1 })).map((l) => l.message),
            ["two"],
          );
          assert.deepEqual(await s.listLogs({ mac: MAC_C }), []);
        }));

      it("keeps the newest lines per machine, within the cap", () =>
        withStore(async (s) => {
          const r: LogRetention = { perMachine: 20, total: 100_000 };
          const slack = options.exactRetention ? 0 : pruneInterval(r.perMachine);
          for (let i = 0; i < 95; i++) {
            await s.addLog(log({ message: `a${i}` }), r);
            if (i % 3 === 0) await s.addLog(log({ message: `b${i}`, mac: MAC_B }), r);
            const n = (await s.listLogs({ mac: MAC_A })).length;
            assert.ok(n <= r.perMachine + slack, `${n} lines kept for a cap of ${r.perMachine}`);
          }
          const nullMac = { mac: null, ip: "198.18.0.77" };
          for (let i = 0; i < 50; i++) await s.addLog(log({ message: `n${i}`, ...nullMac }), r);
          assert.ok((await s.listLogs({ ip: "198.18.0.77" })).length <= r.perMachine + slack);
          await s.pruneLogs(r);
          const a = await s.listLogs({ mac: MAC_A });
          assert.deepEqual(
            a.map((l) => l.message),
            Array.from({ length: 20 }, (_, i) => `a${75 + i}`),
          );
          assert.equal((await s.listLogs({ mac: MAC_B })).length, 20);
          const n = await s.listLogs({ ip: "198.18.0.77" });
          assert.deepEqual(n.at(-1)?.message, "n49");
          assert.equal(n.length, 20, "lines without a MAC are capped per source address");
        }));

      it("keeps the newest lines in all, within the total cap", () =>
        withStore(async (s) => {
          const r: LogRetention = { perMachine: 1000, total: 30 };
          const slack = options.exactRetention ? 0 : pruneInterval(r.total);
          const macs = [MAC_A, MAC_B, MAC_C];
          for (let i = 0; i < 100; i++) {
            await s.addLog(log({ message: `m${i}`, mac: macs[i % 3]! }), r);
            const n = (await s.listLogs({})).length;
            assert.ok(n <= r.total + slack, `${n} lines kept for a total of ${r.total}`);
          }
          await s.pruneLogs(r);
          assert.deepEqual(
            (await s.listLogs({})).map((l) => l.message),
            Array.from({ length: 30 }, (_, i) => `m${70 + i}`),
          );
          // Ids are never reused after deletion: a follower resuming with
          // afterId must not miss or repeat lines.
          const last = (await s.listLogs({ order: "desc", limit: 1 }))[0]!.id;
          const next = await s.addLog(log({ message: "after" }), r);
          assert.ok(next > last);
        }));
    });

    if (!options.persistent) return;
    it("closing and reopening keeps everything", async () => {
      const u = await open();
      if (!u.reopen) {
        await u.store.close();
        throw new Error("a persistent backend's harness must give reopen()");
      }
      const s = u.store;
      await s.noteMachine({ mac: MAC_A, hostname: "a", state: "up", at: T0 });
      await s.putLease(lease({ ip: "198.18.0.5", mac: MAC_A }));
      const eid = await s.addEvent({
        at: T0,
        type: "client.stage",
        protocol: "client",
        mac: MAC_A,
        stage: "init",
      });
      const lid = await s.addLog(log({ message: "kept" }), { perMachine: 10, total: 10 });
      await s.setMachineImage(MAC_A, "tiny", T0, "api-token");
      await s.putAddressBinding({ ip: "198.18.0.6", mac: MAC_A, source: "pxe-request", seenAt: T0 });
      await s.close();
      const s2 = await u.reopen();
      try {
        await s2.migrate();
        assert.equal((await s2.getMachine(MAC_A))?.state, "up");
        assert.equal((await s2.getLeaseByIp("198.18.0.5"))?.mac, MAC_A);
        assert.equal((await s2.listEvents({}))[0]?.id, eid);
        assert.equal((await s2.listLogs({}))[0]?.id, lid);
        assert.deepEqual(await s2.listMachineOverrides(), [
          { mac: MAC_A, image: "tiny", setAt: T0, setBy: "api-token" },
        ]);
        assert.deepEqual(await s2.listAddressBindings(), [
          { ip: "198.18.0.6", mac: MAC_A, source: "pxe-request", seenAt: T0 },
        ]);
        const eid2 = await s2.addEvent({ at: T0, type: "client.stage", protocol: "client" });
        assert.ok(eid2 > eid);
      } finally {
        await s2.close();
      }
    });
  });
}
