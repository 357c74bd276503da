/**
 * ClientIdentity over a MemoryStore and the real config loader: which
 * evidence proves a machine's address in each DHCP mode, and that nothing a
 * client asks for (boot files, stage reports) ever does.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfigFromString } from "../config/load-config.js";
import type { FleetConfig } from "../config/model.js";
import { MemoryLogger } from "../logging/logger.js";
import { MemoryStore } from "../store/memory/memory-store.js";
import type { LeaseRow } from "../store/store.js";
import { ClientIdentity } from "./client-identity.js";

const VICTIM = "52:54:00:60:00:01";
const OTHER = "52:54:00:60:00:02";
const THIRD = "52:54:00:60:00:03";
const NOW = 1_750_000_000_000;
const clock = { now: () => NOW };

function fleet(mode: "full" | "proxy" | "off"): FleetConfig {
  const yaml = `
server: { address: 198.18.60.1, data_dir: /nonexistent/bootfleet-identity-test }
services:
  dhcp: { mode: ${mode} }
images: { debian: {} }
networks:
  - subnet: 198.18.60.0/24
${mode === "full" ? "    pool: 198.18.60.100-198.18.60.199" : ""}
  - subnet: 198.18.61.0/24
${mode === "full" ? "    pool: 198.18.61.100-198.18.61.199" : ""}
defaults: { image: debian }
hosts:
  victim: { mac: "${VICTIM}", ip: 198.18.60.10 }
  by-address-only: { ip: 198.18.60.11 }
`;
  return loadConfigFromString(yaml, "/etc/bootfleet/identity-test.yaml", { skipImageCheck: true });
}

function lease(ip: string, mac: string, over: Partial<LeaseRow> = {}): LeaseRow {
  return {
    ip,
    mac,
    network: "198.18.60.0/24",
    state: "bound",
    hostname: null,
    clientId: null,
    start: NOW - 60_000,
    expires: NOW + 3_600_000,
    ...over,
  };
}

async function identity(mode: "full" | "proxy" | "off", store = new MemoryStore()) {
  const id = await ClientIdentity.open({ config: fleet(mode), store, logger: new MemoryLogger(), clock });
  return { id, store };
}

describe("client identity", () => {
  it("a fixed address proves its host in every mode, and pins it there", async () => {
    for (const mode of ["full", "proxy", "off"] as const) {
      const { id, store } = await identity(mode);
      assert.deepEqual(await id.identityOf("198.18.60.10"), {
        mac: VICTIM,
        ip: "198.18.60.10",
        evidence: "fixed-address",
      });
      assert.equal(await id.machineAt("::ffff:198.18.60.10"), VICTIM, mode);
      assert.deepEqual(await id.addressesOf(VICTIM), ["198.18.60.10"], mode);
      // A lease or an observed exchange elsewhere does not move a pinned host.
      await store.putLease(lease("198.18.60.120", VICTIM));
      id.observe({ mac: VICTIM, ip: "198.18.60.121", source: "dhcp-request" });
      assert.equal(await id.machineAt("198.18.60.120"), null, mode);
      assert.equal(await id.machineAt("198.18.60.121"), null, mode);
      assert.equal(await id.isMachineAt(VICTIM, "198.18.60.120"), false, mode);
      assert.deepEqual(await id.addressesOf(VICTIM), ["198.18.60.10"], mode);
    }
  });

  it("full DHCP: a bound, running lease proves its MAC; offered, expired or released ones do not", async () => {
    const { id, store } = await identity("full");
    await store.putLease(lease("198.18.60.100", OTHER));
    await store.putLease(lease("198.18.60.101", THIRD, { state: "offered" }));
    await store.putLease(lease("198.18.60.102", THIRD, { expires: NOW - 1 }));
    await store.putLease(lease("198.18.60.103", THIRD, { state: "released" }));
    // Relayed: the lease is in another network, granted through giaddr.
    await store.putLease(lease("198.18.61.100", THIRD, { network: "198.18.61.0/24" }));
    assert.deepEqual(await id.identityOf("198.18.60.100"), {
      mac: OTHER,
      ip: "198.18.60.100",
      evidence: "lease",
    });
    for (const ip of ["198.18.60.101", "198.18.60.102", "198.18.60.103", "198.18.60.199"])
      assert.equal(await id.machineAt(ip), null, ip);
    assert.deepEqual(await id.addressesOf(THIRD), ["198.18.61.100"]);
    assert.equal(await id.isMachineAt(OTHER, "198.18.60.100"), true);
    assert.equal(await id.isMachineAt(THIRD, "198.18.60.100"), false);
    // A host declared by address only names no MAC: its lease decides.
    await store.putLease(lease("198.18.60.11", THIRD));
    assert.equal(await id.machineAt("198.18.60.11"), THIRD);
    // Observations are proxy mode's evidence, not full mode's.
    id.observe({ mac: OTHER, ip: "198.18.60.150", source: "pxe-request" });
    assert.equal(await id.machineAt("198.18.60.150"), null);
  });

  it("the lease is read from the store, so it holds across a restart", async () => {
    const store = new MemoryStore();
    await store.putLease(lease("198.18.60.100", OTHER));
    const again = await identity("full", store);
    assert.equal(await again.id.machineAt("198.18.60.100"), OTHER);
  });

  it("proxy mode: the last exchange seen binds one address to one machine, kept in the store", async () => {
    const { id, store } = await identity("proxy");
    id.observe({ mac: OTHER, ip: "198.18.60.50", source: "dhcp-request" });
    assert.deepEqual(await id.identityOf("198.18.60.50"), {
      mac: OTHER,
      ip: "198.18.60.50",
      evidence: "dhcp-observed",
    });
    // The machine moves (the other server gave it a new address) ...
    id.observe({ mac: OTHER, ip: "198.18.61.51", source: "pxe-request" });
    assert.equal(await id.machineAt("198.18.60.50"), null);
    assert.deepEqual(await id.addressesOf(OTHER), ["198.18.61.51"]);
    // ... and its old address goes to another machine.
    id.observe({ mac: THIRD, ip: "198.18.61.51", source: "dhcp-request" });
    assert.deepEqual(await id.addressesOf(OTHER), []);
    assert.equal(await id.machineAt("198.18.61.51"), THIRD);
    // Outside the configured networks, or the fixed address of a host: ignored.
    id.observe({ mac: OTHER, ip: "203.0.113.5", source: "dhcp-request" });
    id.observe({ mac: OTHER, ip: "0.0.0.0", source: "dhcp-request" });
    id.observe({ mac: OTHER, ip: "198.18.60.10", source: "dhcp-request" });
    assert.equal(await id.machineAt("203.0.113.5"), null);
    assert.equal(await id.machineAt("198.18.60.10"), VICTIM);
    // Leases are full mode's evidence: a leftover from an earlier full-mode run proves nothing.
    await store.putLease(lease("198.18.60.100", OTHER));
    assert.equal(await id.machineAt("198.18.60.100"), null);
    await id.flush();
    assert.deepEqual(
      (await store.listAddressBindings()).map((b) => [b.ip, b.mac, b.source]),
      [["198.18.61.51", THIRD, "dhcp-request"]],
    );
    const restarted = await identity("proxy", store);
    assert.equal(await restarted.id.machineAt("198.18.61.51"), THIRD);
  });

  it("proxy mode keeps a bounded table, the oldest binding going first", async () => {
    const store = new MemoryStore();
    const id = await ClientIdentity.open({
      config: fleet("proxy"),
      store,
      logger: new MemoryLogger(),
      clock,
      maxObserved: 3,
    });
    for (let i = 0; i < 10; i++) {
      const mac = `52:54:00:61:00:${i.toString(16).padStart(2, "0")}`;
      id.observe({ mac, ip: `198.18.60.${20 + i}`, source: "dhcp-request" });
    }
    await id.flush();
    assert.deepEqual(
      (await store.listAddressBindings()).map((b) => b.ip),
      ["198.18.60.27", "198.18.60.28", "198.18.60.29"],
    );
    assert.equal(await id.machineAt("198.18.60.20"), null);
    assert.equal(await id.machineAt("198.18.60.29"), "52:54:00:61:00:09");
  });

  it("with DHCP off only the config's fixed addresses prove anything", async () => {
    const { id, store } = await identity("off");
    await store.putLease(lease("198.18.60.100", OTHER));
    id.observe({ mac: OTHER, ip: "198.18.60.50", source: "dhcp-request" });
    assert.equal(await id.machineAt("198.18.60.100"), null);
    assert.equal(await id.machineAt("198.18.60.50"), null);
    assert.deepEqual(await id.addressesOf(OTHER), []);
  });

  it("a machine the store saw at an address (boot-file fetches, reports) is not proven there", async () => {
    for (const mode of ["full", "proxy", "off"] as const) {
      const { id, store } = await identity(mode);
      // What an attacker's fetch of the victim's boot file used to leave behind.
      await store.noteMachine({ mac: VICTIM, ip: "198.18.60.66", at: NOW });
      await store.noteMachine({ mac: OTHER, ip: "198.18.60.66", at: NOW });
      assert.equal(await id.machineAt("198.18.60.66"), null, mode);
      assert.deepEqual(await id.addressesOf(OTHER), [], mode);
    }
  });
});
