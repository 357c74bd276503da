/**
 * Stage reports against the HTTP service as bootfleet serve builds it (full
 * DHCP, a token, a host with a fixed address, a machine with a lease), from
 * other addresses through inject()'s remoteAddress: fetching a machine's boot
 * files does not let an address speak for it, refusals are one event per
 * machine and source per minute, and unverified reports cannot flood the
 * store with machines.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type HttpHarness, startHttp } from "../../test/fixtures/boot/http-harness.js";
import { loadConfigFromString } from "../config/load-config.js";
import { FleetResolver } from "../config/resolve-machine.js";

const TOKEN = "stage-report-token-0123456789";
const VICTIM = "52:54:00:51:00:01";
const LEASED = "52:54:00:51:00:02";
const ATTACKER = "198.18.51.66";

const yaml = `
server: { address: 198.18.51.1, data_dir: /nonexistent/bootfleet-stage-test }
services:
  dhcp: { mode: full }
  api: { token: "${TOKEN}" }
images: { debian: {} }
networks:
  - subnet: 198.18.51.0/24
    pool: 198.18.51.100-198.18.51.199
defaults: { image: debian, boot_unknown: true }
hosts:
  victim: { mac: "${VICTIM}", ip: 198.18.51.10 }
`;

function report(h: HttpHarness, mac: string, from: string, stage = "initrd", token?: string) {
  return h.app.inject({
    method: "POST",
    url: `/api/v1/machines/${mac}/events`,
    payload: { stage },
    remoteAddress: from,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

function randomMac(i: number): string {
  const b = [0x02, 0x00, (i >> 16) & 255, (i >> 8) & 255, i & 255, 0x42];
  return b.map((x) => x.toString(16).padStart(2, "0")).join(":");
}

describe("stage reports bound to identity", () => {
  let h: HttpHarness;
  before(async () => {
    const config = loadConfigFromString(yaml, "/etc/bootfleet/stage-test.yaml", { skipImageCheck: true });
    h = await startHttp({ config, resolver: new FleetResolver(config) });
    const now = Date.now();
    await h.store.putLease({
      ip: "198.18.51.120",
      mac: LEASED,
      network: "198.18.51.0/24",
      state: "bound",
      hostname: null,
      clientId: null,
      start: now,
      expires: now + 3_600_000,
    });
  });
  after(async () => {
    await h?.close();
  });

  it("fetching a machine's boot files does not let another address report for it", async () => {
    for (const mac of [VICTIM, LEASED]) {
      const fetched = await h.app.inject({ url: `/boot/${mac}.ipxe`, remoteAddress: ATTACKER });
      assert.equal(fetched.statusCode, 200, "anyone may fetch the script");
    }
    for (const mac of [VICTIM, LEASED]) {
      for (let i = 0; i < 5; i++) {
        const r = await report(h, mac, ATTACKER, "failed");
        assert.equal(r.statusCode, 403);
        assert.equal(r.json().error.code, "STAGE_SOURCE_MISMATCH");
      }
    }
    await h.recorder.flush();
    // One event per machine and source, not one per refused report.
    const refusals = await h.store.listEvents({ type: "security.identity_mismatch" });
    assert.deepEqual(
      refusals.map((e) => [e.mac, e.ip]),
      [
        [VICTIM, ATTACKER],
        [LEASED, ATTACKER],
      ],
    );
    // Neither the fetches nor the refusals moved or failed the machines.
    for (const mac of [VICTIM, LEASED]) {
      const m = await h.store.getMachine(mac);
      assert.notEqual(m?.ip, ATTACKER);
      assert.notEqual(m?.state, "failed");
    }
  });

  it("the machines themselves report from their fixed address and their lease", async () => {
    const fixed = await report(h, VICTIM, "198.18.51.10", "root-mounted");
    assert.equal(fixed.statusCode, 202);
    assert.equal(fixed.json().verified, "source-ip");
    const leased = await report(h, LEASED, "198.18.51.120", "init");
    assert.equal(leased.json().verified, "source-ip");
    await h.recorder.flush();
    assert.equal((await h.store.getMachine(LEASED))?.ip, "198.18.51.120");
    assert.equal((await h.store.getMachine(LEASED))?.state, "up");
  });

  it("with the token a report is taken from anywhere, without moving the machine", async () => {
    const r = await report(h, LEASED, "198.18.51.77", "init", TOKEN);
    assert.equal(r.json().verified, "token");
    const wrong = await report(h, LEASED, "198.18.51.77", "init", "not-the-token");
    assert.equal(wrong.statusCode, 401);
    await h.recorder.flush();
    assert.equal((await h.store.getMachine(LEASED))?.ip, "198.18.51.120");
  });

  it("a leased address speaks only for its own machine, even for a MAC nobody knows", async () => {
    const r = await report(h, randomMac(1), "198.18.51.120");
    assert.equal(r.statusCode, 403);
  });

  it("unverified reports are rate-limited per address and create a bounded number of machines", async () => {
    const before = (await h.store.listMachines()).length;
    // 2000 random MACs from one address: the burst, then 429.
    const codes = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const r = await report(h, randomMac(1000 + i), ATTACKER);
      codes.set(r.statusCode, (codes.get(r.statusCode) ?? 0) + 1);
    }
    assert.ok((codes.get(202) ?? 0) <= 25, JSON.stringify([...codes]));
    assert.ok((codes.get(429) ?? 0) >= 1975, JSON.stringify([...codes]));
    // From 200 addresses, 10 each: all accepted, but few become machines.
    for (let s = 0; s < 200; s++)
      for (let i = 0; i < 10; i++) {
        const r = await report(h, randomMac(10_000 + s * 10 + i), `198.18.52.${s}`);
        assert.equal(r.statusCode, 202);
      }
    await h.recorder.flush();
    const created = (await h.store.listMachines()).length - before;
    assert.ok(created <= 25 + 64 + 1, `created ${created} machines`);
    // The rest are kept as events that name no machine.
    const kept = await h.store.listEvents({ type: "client.stage", order: "desc", limit: 1 });
    assert.equal(kept[0]?.mac, null);
    assert.equal(kept[0]?.detail.verified, false);
    assert.match(String(kept[0]?.detail.mac), /^02:00:/);
  });
});
