/**
 * Round trip against the real servers: an existing setup's config
 * (test/fixtures/migrate) -> `bootfleet import` ->
 * `bootfleet export dhcpd|dnsmasq|kea` -> the server's own syntax check
 * (`dhcpd -t -cf`, `dnsmasq --test -C`, `kea-dhcp4 -t`) accepts it. Each
 * check is shown to bite on a broken copy. Syntax checks only: no server
 * is started and nothing is sent on any network.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Command } from "commander";
import { registerMigrateCommands } from "../../src/cli/migrate-command.js";
import { loadConfig, loadConfigFromString } from "../../src/config/load-config.js";
import type { FleetConfig } from "../../src/config/model.js";
import { dhcpdExportWarnings, exportDhcpd } from "../../src/migrate/export-dhcpd.js";
import { exportDnsmasq } from "../../src/migrate/export-dnsmasq.js";
import { exportKea } from "../../src/migrate/export-kea.js";
import { exportPlan } from "../../src/migrate/export-plan.js";
import { importConfig } from "../../src/migrate/import-config.js";
import { requirePeers } from "../support/require-peers.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/migrate");

interface Peer {
  readonly kind: "dhcpd" | "dnsmasq" | "kea";
  readonly binary: string;
  readonly args: (file: string) => string[];
  readonly render: (config: FleetConfig) => string;
  /** A copy of good output that the peer must refuse. */
  readonly breakIt: (text: string) => string;
}

const PEERS: readonly Peer[] = [
  {
    kind: "dhcpd",
    binary: "/usr/sbin/dhcpd",
    args: (f) => ["-t", "-cf", f],
    render: (c) => exportDhcpd(exportPlan(c)),
    breakIt: (t) => t.replace(/next-server ([0-9.]+);/, "next-server $1"),
  },
  {
    kind: "dnsmasq",
    binary: "/usr/sbin/dnsmasq",
    args: (f) => ["--test", "-C", f],
    render: (c) => exportDnsmasq(exportPlan(c)),
    breakIt: (t) =>
      t.replace(
        "dhcp-match=set:bf-efi64,option:client-arch,7",
        "dhcp-match=set:bf-efi64,option:no-such-option,7",
      ),
  },
  {
    kind: "kea",
    binary: "/usr/sbin/kea-dhcp4",
    args: (f) => ["-t", f],
    render: (c) => exportKea(exportPlan(c)),
    breakIt: (t) => t.replace("option[93].hex == 0x000b", "option[93].hexx == 0x000b"),
  },
];

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), `bf-migrate-${process.pid}-`));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function check(peer: Peer, text: string, name: string): { status: number | null; output: string } {
  requirePeers([peer.binary]);
  const file = join(dir, `${name}.${peer.kind}.conf`);
  writeFileSync(file, text);
  const r = spawnSync(peer.binary, peer.args(file), { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function fromFixtures(files: readonly string[], serverAddress?: string): FleetConfig {
  const inputs = files.map((f) => ({ file: f, text: readFileSync(join(FIXTURES, f), "utf8") }));
  const { yaml } = importConfig(inputs, { serverAddress, partial: files.includes("001-dhcpd.conf") });
  return loadConfigFromString(yaml, join(dir, `${files.join("+")}.yaml`));
}

/** Every feature the exporters have: arch and iPXE branches, boot_unknown false, a first-stage override, custom and typed options. */
const FULL = `
server: { address: 198.18.10.1 }
services: { http: { port: 8081 } }
images: { debian: {} }
networks:
  - subnet: 198.18.10.0/24
    pool: 198.18.10.100-198.18.10.199
    dhcp: { root_path: "198.18.10.1:/srv/root,with,commas" }
defaults:
  image: debian
  boot_unknown: false
  dhcp:
    options: { "7": "0x0a00000b", "128": "0xe44574680000", "129": "DPORT=1067" }
groups:
  lab:
    match: { hostname: "lab-*" }
    dhcp: { options: { "129": "NIC=ne IO=0x300" } }
hosts:
  lab-01: { mac: "52:54:00:10:00:01", ip: 198.18.10.11 }
  lab-02:
    mac: "52:54:00:10:00:02"
    dhcp: { filename: "pxelinux.0", next_server: 198.18.10.2, options: { "12": "ignored-name", "42": "0xc6120a01" } }
  nomac: { ip: 198.18.10.13 }
`;

/**
 * Networks with boot values of their own, as an imported dhcpd.conf writes a
 * subnet's `filename`/`next-server`/`option root-path`: one with all three
 * and a pool, one with only a next-server and no pool, beside a host with
 * its own first stage.
 */
const NETWORK_BOOT = `
server: { address: 198.18.141.1 }
images: { debian: {} }
networks:
  - subnet: 198.18.141.0/25
    pool: 198.18.141.100-198.18.141.120
    dhcp: { filename: "pxelinux.0", next_server: 198.18.141.2, root_path: "198.18.141.2:/srv/ltsp" }
  - subnet: 198.18.141.128/25
    dhcp: { next_server: 198.18.141.130 }
defaults: { image: debian }
hosts:
  ws-01: { mac: "52:54:00:14:10:01", ip: 198.18.141.11 }
  ws-02: { mac: "52:54:00:14:10:02", ip: 198.18.141.12, dhcp: { filename: "grubx64.efi" } }
`;

const CONFIGS: readonly { name: string; config: () => FleetConfig }[] = [
  { name: "full", config: () => loadConfigFromString(FULL, join(dir, "full.yaml")) },
  { name: "network-boot", config: () => loadConfigFromString(NETWORK_BOOT, join(dir, "network-boot.yaml")) },
  { name: "000-dhcpd+lts", config: () => fromFixtures(["000-dhcpd.conf", "000-lts.conf"]) },
  { name: "000-dnsmasq", config: () => fromFixtures(["000-dnsmasq.conf"]) },
  { name: "001-dhcpd+lts", config: () => fromFixtures(["001-dhcpd.conf", "001-lts.conf"], "10.0.0.11") },
  {
    name: "002-dhcpd+pxelinux",
    config: () => fromFixtures(["002-dhcpd-host.conf", "002-pxelinux.cfg-ltsp"]),
  },
  { name: "003-dhcpd+pxelinux", config: () => fromFixtures(["003-dhcpd.conf", "003-pxelinux.cfg-default"]) },
];

describe("exported boot entries pass the real servers' syntax checks", () => {
  for (const peer of PEERS) {
    for (const c of CONFIGS) {
      it(`${c.name} -> export ${peer.kind} -> ${peer.binary} ${peer.args("FILE").join(" ")}`, () => {
        const text = peer.render(c.config());
        const r = check(peer, text, c.name);
        assert.equal(r.status, 0, `${peer.kind} refused the export:\n${r.output}\n---\n${text}`);
      });
    }
    it(`${peer.kind}: the check refuses a broken copy (it really checks)`, () => {
      const good = peer.render(CONFIGS[0]!.config());
      const bad = peer.breakIt(good);
      assert.notEqual(bad, good, "the breaking edit applies");
      const r = check(peer, bad, "broken");
      assert.notEqual(r.status, 0, `${peer.kind} accepted a broken file:\n${r.output}`);
    });
  }
});

describe("what the exports say", () => {
  it("dhcpd: iPXE gets its per-machine script, UEFI and BIOS their iPXE, only known hosts boot, overrides stay first-stage", () => {
    const text = exportDhcpd(exportPlan(CONFIGS[0]!.config()));
    assert.match(text, /option bootfleet-arch code 93 = unsigned integer 16;/);
    assert.match(text, /if known \{/);
    assert.match(text, /filename "http:\/\/198\.18\.10\.1:8081\/boot\/\$\{mac\}\.ipxe";/);
    assert.match(
      text,
      /option bootfleet-arch = 00:07 or option bootfleet-arch = 00:09 \{\n\s+filename "ipxe\.efi";/,
    );
    assert.match(text, /option bootfleet-arch = 00:0b \{\n\s+filename "ipxe-arm64\.efi";/);
    assert.match(text, /\} else \{\n\s+filename "undionly\.kpxe";/);
    assert.match(
      text,
      /host lab-02 \{[^}]*if not exists user-class or option user-class != "iPXE" \{\n\s+filename "pxelinux\.0";/,
    );
    assert.match(text, /host lab-01 \{[^}]*option bootfleet-option-129 "NIC=ne IO=0x300";/);
    assert.match(text, /option log-servers 10\.0\.0\.11;/);
    assert.match(text, /option ntp-servers 198\.18\.10\.1;/);
    assert.match(text, /# host nomac not written: no MAC/);
  });

  it("--efi snponly hands snponly.efi and snponly-arm64.efi", () => {
    const plan = exportPlan(CONFIGS[0]!.config(), { efiBinary: "snponly" });
    for (const text of [exportDhcpd(plan), exportDnsmasq(plan), exportKea(plan)]) {
      assert.match(text, /snponly\.efi/);
      assert.match(text, /snponly-arm64\.efi/);
      assert.doesNotMatch(text, /"ipxe\.efi"|,ipxe\.efi,/);
    }
  });

  it("kea: reservations carry the hosts; classes exclude each other", () => {
    const text = exportKea(exportPlan(CONFIGS[0]!.config()));
    const json = JSON.parse(text.replace(/^\/\/.*$/gm, "")) as { Dhcp4: Record<string, unknown> };
    const subnets = json.Dhcp4.subnet4 as { subnet: string; reservations: { hostname: string }[] }[];
    assert.deepEqual(
      subnets[0]!.reservations.map((r) => r.hostname),
      ["lab-01", "lab-02"],
    );
    assert.match(text, /member\('KNOWN'\)/);
    assert.match(text, /pkt4\.mac == 0x525400100002/);
  });
});

describe("a network's own boot values reach its dynamic clients", () => {
  const networkBoot = () => exportPlan(CONFIGS[1]!.config());

  it("dhcpd: the subnet's lines in a comment to paste, and a located warning per network", () => {
    const plan = networkBoot();
    const text = exportDhcpd(plan);
    const block = (...lines: string[]) => lines.map((l) => `#   ${l}`).join("\n");
    assert.ok(
      text.includes(
        block(
          "subnet 198.18.141.0 netmask 255.255.255.128 {",
          '  if not exists user-class or option user-class != "iPXE" {',
          '    filename "pxelinux.0";',
          "  }",
          "  next-server 198.18.141.2;",
          '  option root-path "198.18.141.2:/srv/ltsp";',
          "}",
        ),
      ),
      text,
    );
    assert.ok(
      text.includes(
        block("subnet 198.18.141.128 netmask 255.255.255.128 {", "  next-server 198.18.141.130;", "}"),
      ),
      text,
    );
    const warnings = dhcpdExportWarnings(plan);
    assert.equal(warnings.length, 2);
    assert.match(
      warnings[0]!,
      /network-boot\.yaml:5:\d+: warning: network 198\.18\.141\.0\/25 sets its own dhcp\.filename, dhcp\.next_server, dhcp\.root_path/,
    );
    assert.match(
      warnings[1]!,
      /network-boot\.yaml:8:\d+: warning: network 198\.18\.141\.128\/25 sets its own dhcp\.next_server/,
    );
  });

  it("dnsmasq: the range tags the network's clients; its dhcp-boot and root-path lines carry the tag", () => {
    const text = exportDnsmasq(networkBoot());
    assert.match(text, /^dhcp-range=set:bf-net-1,198\.18\.141\.100,198\.18\.141\.120$/m);
    assert.match(text, /^dhcp-boot=tag:bf-net-1,tag:!bf-own,tag:!bf-ipxe,pxelinux\.0,,198\.18\.141\.2$/m);
    assert.match(text, /^dhcp-option=tag:bf-net-1,17,"198\.18\.141\.2:\/srv\/ltsp"$/m);
    assert.match(text, /^dhcp-range=set:bf-net-2,198\.18\.141\.128,static,255\.255\.255\.128$/m);
    assert.match(
      text,
      /^dhcp-boot=tag:bf-net-2,tag:!bf-own,tag:!bf-ipxe,tag:!bf-efi64,tag:!bf-arm64,undionly\.kpxe,,198\.18\.141\.130$/m,
    );
    // The generic lines skip both networks' clients; iPXE still gets its script everywhere.
    assert.match(text, /^tag-if=set:bf-first,tag:bf-net-1$/m);
    assert.match(text, /^tag-if=set:bf-first,tag:bf-net-2$/m);
    assert.match(
      text,
      /^dhcp-boot=tag:!bf-first,tag:!bf-ipxe,tag:!bf-efi64,tag:!bf-arm64,undionly\.kpxe,,198\.18\.141\.1$/m,
    );
    assert.match(text, /^dhcp-boot=tag:bf-ipxe,http:\/\/198\.18\.141\.1:8080\/boot\/\$\{mac\}\.ipxe$/m);
  });

  it("kea: subnet4 carries boot-file-name, next-server and root-path, and requires a class that outranks the generic ones", () => {
    const text = exportKea(networkBoot());
    const json = JSON.parse(text.replace(/^\/\/.*$/gm, "")) as { Dhcp4: Record<string, unknown> };
    const subnets = json.Dhcp4.subnet4 as Record<string, unknown>[];
    assert.equal(subnets[0]!["boot-file-name"], "pxelinux.0");
    assert.equal(subnets[0]!["next-server"], "198.18.141.2");
    assert.deepEqual(subnets[0]!["option-data"], [{ code: 17, data: "198.18.141.2:/srv/ltsp" }]);
    assert.deepEqual(subnets[0]!["require-client-classes"], ["bootfleet-net-1"]);
    assert.equal(subnets[1]!["next-server"], "198.18.141.130");
    assert.equal(subnets[1]!["boot-file-name"], undefined);
    assert.deepEqual(subnets[1]!["require-client-classes"], ["bootfleet-net-2"]);
    const classes = json.Dhcp4["client-classes"] as Record<string, unknown>[];
    const net1 = classes.find((c) => c.name === "bootfleet-net-1")!;
    assert.equal(net1["only-if-required"], true);
    assert.equal(net1["boot-file-name"], "pxelinux.0");
    assert.equal(net1["next-server"], "198.18.141.2");
    assert.equal(net1.test, "not member('bootfleet-ipxe') and not member('bootfleet-first')");
  });
});

describe("the CLI verbs, as main.ts registers them", () => {
  it("bootfleet import FILE... -o, then bootfleet export dhcpd|dnsmasq|kea -c -o, then the peers", async () => {
    const out = join(dir, "cli.yaml");
    const program = new Command().exitOverride();
    registerMigrateCommands(program, (file) => loadConfig(file ?? "bootfleet.yaml"));
    await program.parseAsync(
      ["import", join(FIXTURES, "000-dhcpd.conf"), join(FIXTURES, "000-lts.conf"), "-o", out],
      { from: "user" },
    );
    const config = await loadConfig(out);
    assert.equal(config.hosts.length, 6);
    for (const peer of PEERS) {
      const file = join(dir, `cli.${peer.kind}`);
      const p = new Command().exitOverride();
      registerMigrateCommands(p, (f) => loadConfig(f ?? "bootfleet.yaml"));
      await p.parseAsync(["export", peer.kind, "-c", out, "-o", file], { from: "user" });
      const r = check(peer, readFileSync(file, "utf8"), "cli");
      assert.equal(r.status, 0, r.output);
    }
  });

  it("bootfleet import refuses a malformed file, naming file:line:column, and writes nothing", async () => {
    const bad = join(dir, "bad-dhcpd.conf");
    writeFileSync(bad, "host a {\n  hardware ethernet 52:54:00:12:34\n}\n");
    const out = join(dir, "bad.yaml");
    const program = new Command().exitOverride();
    registerMigrateCommands(program, (file) => loadConfig(file ?? "bootfleet.yaml"));
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      errors.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      await program.parseAsync(["import", bad, "--server-address", "10.0.0.1", "-o", out], { from: "user" });
    } finally {
      process.stderr.write = write;
    }
    assert.equal(process.exitCode, 1);
    process.exitCode = 0;
    assert.equal(existsSync(out), false);
    assert.match(errors.join(""), /bad-dhcpd\.conf:2:21: error: '52:54:00:12:34' is not a MAC address/);
    assert.match(errors.join(""), /bad-dhcpd\.conf:2:35: error: missing ';' after '52:54:00:12:34'/);
  });
});
