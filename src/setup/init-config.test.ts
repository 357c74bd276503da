import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NetworkInterfaceInfo } from "node:os";
import { loadConfigFromString } from "../config/load-config.js";
import type { InterfaceTable } from "./choose-interface.js";
import { type InitDeps, type InitOptions, initConfig, nextSteps } from "./init-config.js";
import type { DhcpProbeResult } from "./probe-dhcp.js";
import { SetupError } from "./setup-error.js";

function v4(cidr: string, mac: string, internal = false): NetworkInterfaceInfo {
  const [address] = cidr.split("/") as [string];
  return { address, netmask: "255.255.255.0", family: "IPv4", mac, internal, cidr };
}

const INTERFACES: InterfaceTable = {
  lo: [v4("127.0.0.1/8", "00:00:00:00:00:00", true)],
  eth0: [v4("198.18.0.10/24", "52:54:00:00:00:01")],
};

/** A machine whose probe answers `probe`; records what init asked of it. */
function machine(probe: DhcpProbeResult, over: Partial<InitDeps> = {}) {
  const log = {
    probes: [] as string[],
    asked: [] as string[],
    written: new Map<string, string>(),
    said: [] as string[],
  };
  const deps: InitDeps = {
    interfaces: INTERFACES,
    routes: [{ interface: "eth0", gateway: "198.18.0.1", metric: 0 }],
    nameservers: ["198.18.0.53"],
    exists: (f) => log.written.has(f),
    write: (f, text) => log.written.set(f, text),
    confirm: async (q) => {
      log.asked.push(q);
      return true;
    },
    probe: async (address, mac, waitMs) => {
      log.probes.push(`${address} ${mac} ${waitMs}`);
      return probe;
    },
    say: (l) => log.said.push(l),
    now: new Date("2026-03-01T12:00:00Z"),
    ...over,
  };
  return { deps, log };
}

const OPTIONS: InitOptions = {
  file: "/tmp/bf-init/bootfleet.yaml",
  probe: "yes",
  force: false,
  probeWaitMs: 3000,
};
const ANSWERED: DhcpProbeResult = {
  ran: true,
  offers: [{ server: "198.18.0.1", offered: "198.18.0.57", from: "198.18.0.1" }],
};
const SILENT: DhcpProbeResult = { ran: true, offers: [] };

describe("initConfig", () => {
  it("another server answers: proxy mode, a config the loader accepts, written once", async () => {
    const { deps, log } = machine(ANSWERED);
    const r = await initConfig(OPTIONS, deps);
    assert.deepEqual(log.probes, ["198.18.0.10 52:54:00:00:00:01 3000"]);
    assert.equal(log.written.get(OPTIONS.file), r.text);
    const config = loadConfigFromString(r.text, OPTIONS.file);
    assert.equal(config.services.dhcp.mode, "proxy");
    assert.equal(config.server.address, "198.18.0.10");
    assert.deepEqual(config.server.interfaces, ["eth0"]);
    assert.equal(config.server.data_dir, "/tmp/bf-init/var");
    assert.equal(config.networks[0]?.subnet.text, "198.18.0.0/24");
    assert.equal(config.networks[0]?.pool, undefined);
    assert.equal(config.defaults.image, "debian");
    assert.match(
      r.text,
      /^# DHCP proxy: 198\.18\.0\.1 \(offered 198\.18\.0\.57\) answered a DHCPDISCOVER on eth0,$/m,
    );
    assert.match(r.text, /^ {4}# pool: 198\.18\.0\.100-198\.18\.0\.199 +# used only in full mode$/m);
    assert.match(r.text, /^# Served on eth0 \(198\.18\.0\.10\/24\): the default route leaves by it\.$/m);
  });

  it("nobody answers: full mode with a pool that avoids the server and the router, routers and DNS", async () => {
    const { deps } = machine(SILENT, {
      interfaces: { eth0: [v4("198.18.0.150/24", "52:54:00:00:00:01")] },
      routes: [{ interface: "eth0", gateway: "198.18.0.100", metric: 0 }],
    });
    const r = await initConfig(OPTIONS, deps);
    const config = loadConfigFromString(r.text, OPTIONS.file);
    assert.equal(config.services.dhcp.mode, "full");
    const net = config.networks[0]!;
    assert.deepEqual(
      net.pool?.map((p) => `${p.start}-${p.end}`),
      ["198.18.0.101-198.18.0.149", "198.18.0.151-198.18.0.199"],
    );
    assert.deepEqual(net.dhcp?.routers, ["198.18.0.100"]);
    assert.deepEqual(net.dhcp?.dns, ["198.18.0.53"]);
    assert.match(r.text, /^# DHCP full: no DHCP server answered a DHCPDISCOVER on eth0 within 3 s,$/m);
  });

  it("asks before probing at a terminal; a no means proxy mode and nothing sent", async () => {
    const { deps, log } = machine(SILENT, { confirm: async () => false });
    const r = await initConfig({ ...OPTIONS, probe: "ask" }, deps);
    assert.deepEqual(log.probes, []);
    assert.equal(r.plan.mode, "proxy");
    assert.match(r.text, /nothing was probed/);
    const yes = machine(SILENT);
    await initConfig({ ...OPTIONS, probe: "ask" }, yes.deps);
    assert.match(yes.log.asked[0]!, /Send one DHCPDISCOVER on eth0/);
    assert.equal(yes.log.probes.length, 1);
  });

  it("without consent (no terminal, or --no-probe) it neither asks nor probes", async () => {
    const { deps, log } = machine(ANSWERED);
    const r = await initConfig({ ...OPTIONS, probe: "no" }, deps);
    assert.deepEqual([log.asked, log.probes], [[], []]);
    assert.equal(r.plan.mode, "proxy");
  });

  it("a probe that cannot run leaves proxy mode and says why in the file", async () => {
    const { deps } = machine({
      ran: false,
      reason: "binding UDP port 68 needs root (or CAP_NET_BIND_SERVICE)",
    });
    const r = await initConfig(OPTIONS, deps);
    assert.equal(r.plan.mode, "proxy");
    assert.match(r.text, /^# DHCP proxy: the probe could not run \(binding UDP port 68 needs root/m);
  });

  it("--mode decides without probing; full mode in a /30 is refused", async () => {
    const { deps, log } = machine(ANSWERED);
    const r = await initConfig({ ...OPTIONS, mode: "full" }, deps);
    assert.deepEqual(log.probes, []);
    assert.equal(loadConfigFromString(r.text, OPTIONS.file).services.dhcp.mode, "full");
    const small = machine(SILENT, { interfaces: { eth0: [v4("198.18.0.1/30", "52:54:00:00:00:01")] } });
    await assert.rejects(initConfig({ ...OPTIONS, mode: "full" }, small.deps), SetupError);
  });

  it("refuses to overwrite without --force, before anything is sent", async () => {
    const { deps, log } = machine(ANSWERED);
    log.written.set(OPTIONS.file, "mine\n");
    await assert.rejects(initConfig(OPTIONS, deps), (e: unknown) => {
      assert.ok(e instanceof SetupError);
      assert.equal(e.message, "/tmp/bf-init/bootfleet.yaml already exists");
      assert.match(e.hint, /--force/);
      return true;
    });
    assert.deepEqual(log.probes, []);
    assert.equal(log.written.get(OPTIONS.file), "mine\n");
    await initConfig({ ...OPTIONS, force: true }, deps);
    assert.match(log.written.get(OPTIONS.file)!, /^# bootfleet config for this machine/);
  });

  it("a config under /etc keeps its data in /var/lib/bootfleet", async () => {
    const { deps } = machine(ANSWERED);
    const r = await initConfig({ ...OPTIONS, file: "/etc/bootfleet/bootfleet.yaml" }, deps);
    assert.equal(r.config.server.data_dir, "/var/lib/bootfleet");
  });

  it("says what to run next, with the file it wrote", async () => {
    const { deps } = machine(ANSWERED);
    const r = await initConfig({ ...OPTIONS, file: "lab config.yaml" }, deps);
    const text = nextSteps(r);
    assert.match(text, /^wrote lab config\.yaml: eth0 198\.18\.0\.10\/24, DHCP proxy mode$/m);
    assert.match(text, /^ {2}bootfleet check -c 'lab config\.yaml'$/m);
    assert.match(
      text,
      /^ {2}bootfleet image build debian --from debootstrap:bookworm -c 'lab config\.yaml'/m,
    );
    assert.match(text, /^ {2}bootfleet serve -c 'lab config\.yaml'/m);
    assert.match(text, /http:\/\/198\.18\.0\.10:8080\//);
  });
});
