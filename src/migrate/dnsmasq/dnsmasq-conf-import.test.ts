/**
 * dnsmasq.conf's boot options into the config: dhcp-host, dhcp-range
 * (proxy too), dhcp-boot (tagged), dhcp-option, pxe-service, enable-tftp,
 * tftp-root; the rest kept as comments.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explainMachine } from "../../config/explain-machine.js";
import { loadConfigFromString } from "../../config/load-config.js";
import type { FleetConfig } from "../../config/model.js";
import { FleetResolver } from "../../config/resolve-machine.js";
import { importConfig } from "../import-config.js";
import { ImportError } from "../import-problem.js";

function load(text: string, serverAddress?: string): { config: FleetConfig; yaml: string } {
  const r = importConfig([{ file: "dnsmasq.conf", text }], { serverAddress });
  return { config: loadConfigFromString(r.yaml, "/tmp/dnsmasq.yaml"), yaml: r.yaml };
}

function values(
  config: FleetConfig,
  facts: { mac: string; ip?: string; hostname?: string },
): Map<string, unknown> {
  const e = explainMachine(new FleetResolver(config).resolve(facts));
  return new Map(e.values.map((v) => [v.key, v.value]));
}

describe("dnsmasq import", () => {
  const CONF = [
    "# LTSP on a small network",
    "interface=eth1",
    "listen-address=192.168.67.1",
    "dhcp-range=192.168.67.100,192.168.67.199,255.255.255.0,8h",
    "dhcp-host=52:54:00:00:00:07,192.168.67.7,pc07",
    "dhcp-host=pc08,52:54:00:00:00:08,set:slow,192.168.67.8,infinite",
    "dhcp-option=3,192.168.67.254",
    "dhcp-option=option:dns-server,192.168.67.1,192.168.67.2",
    "dhcp-option=17,192.168.67.1:/opt/ltsp/i386   # the NFS root",
    "dhcp-option=tag:slow,option:root-path,192.168.67.1:/opt/ltsp/slow",
    "dhcp-option-force=128,e4:45:74:68:00:00",
    "dhcp-userclass=set:ipxe,iPXE",
    "dhcp-boot=tag:!ipxe,undionly.kpxe",
    "dhcp-boot=tag:ipxe,ltsp/i386/pxelinux.0,,192.168.67.1",
    "enable-tftp",
    "tftp-root=/srv/tftp",
    "domain=ltsp.lan",
    "no-resolv",
  ].join("\n");

  it("ranges, hosts and options resolve per machine", () => {
    const { config } = load(CONF);
    assert.equal(config.server.address, "192.168.67.1");
    assert.deepEqual(config.server.interfaces, ["eth1"]);
    assert.equal(config.services.dhcp.mode, "full");
    assert.equal(config.services.tftp.root, "/srv/tftp");
    assert.equal(config.networks[0]?.subnet.text, "192.168.67.0/24");
    assert.deepEqual(
      config.networks[0]?.pool?.map((p) => `${p.start}-${p.end}`),
      ["192.168.67.100-192.168.67.199"],
    );
    const pc07 = values(config, { mac: "52:54:00:00:00:07" });
    assert.equal(pc07.get("dhcp.routers"), "192.168.67.254");
    assert.equal(pc07.get("dhcp.dns"), "192.168.67.1, 192.168.67.2");
    assert.equal(pc07.get("dhcp.root_path"), "192.168.67.1:/opt/ltsp/i386");
    assert.equal(pc07.get("dhcp.domain"), "ltsp.lan");
    assert.equal(pc07.get("dhcp.options.128"), "0xe44574680000");
    assert.equal(pc07.get("dhcp.lease_time"), 28800);
    // The undionly.kpxe line is bootfleet's own chain, and a running iPXE
    // gets bootfleet's script: the iPXE line's file is no PXE ROM's boot file.
    assert.equal(pc07.get("dhcp.filename"), undefined);
    const pc08 = values(config, { mac: "52:54:00:00:00:08" });
    assert.equal(pc08.get("dhcp.root_path"), "192.168.67.1:/opt/ltsp/slow");
    assert.equal(config.hosts.find((h) => h.name === "pc08")?.ip, "192.168.67.8");
  });

  it("a boot file only a running iPXE got is not handed to PXE ROMs; a located warning says iPXE gets bootfleet's script", () => {
    const r = importConfig([{ file: "dnsmasq.conf", text: CONF }]);
    assert.deepEqual(
      r.problems.map((p) => `${p.at.line}:${p.at.column} ${p.severity} ${p.message}`),
      [
        "14:1 warning a running iPXE got ltsp/i386/pxelinux.0 from this line; bootfleet hands it its own per-machine script instead",
      ],
    );
  });

  it("what does not map is a comment with its line and reason", () => {
    const { yaml } = load(CONF);
    assert.match(yaml, /dnsmasq\.conf:18: not mapped: bootfleet serves no DNS\n# {2}\| no-resolv/);
    assert.match(yaml, /dnsmasq\.conf:13: mapped by design: bootfleet hands out its own iPXE binaries/);
    assert.match(yaml, /root_path: 192\.168\.67\.1:\/opt\/ltsp\/i386 # the NFS root/);
  });

  it("dhcp-range proxy: bootfleet runs beside the existing DHCP server; pxe-service gives its architecture's boot file", () => {
    const { config } = load(
      'dhcp-range=192.168.0.0,proxy\npxe-service=x86PC,"Boot from network",pxelinux,192.168.0.5\n',
    );
    assert.equal(config.services.dhcp.mode, "proxy");
    assert.equal(config.networks[0]?.subnet.text, "192.168.0.0/24");
    assert.equal(config.networks[0]?.pool, undefined);
    // x86PC is architecture 0: BIOS ROMs get pxelinux.0 (dnsmasq adds ".0" to a basename without a suffix), others not.
    assert.equal(config.defaults.dhcp?.filename, undefined);
    const bios = config.groups.find((g) => g.name === "bios");
    assert.deepEqual(bios?.match.arch, [0]);
    assert.equal(bios?.dhcp?.filename, "pxelinux.0");
    assert.equal(config.server.address, "192.168.0.5");
  });

  it("per-architecture dhcp-boot and pxe-service lines become groups with match.arch, as dnsmasq picks them", () => {
    const { config } = load(
      [
        "dhcp-range=10.0.0.100,10.0.0.199,255.255.255.0",
        "dhcp-match=set:efi64,option:client-arch,7",
        "dhcp-match=set:efi64,option:client-arch,9",
        "dhcp-vendorclass=set:bios,PXEClient:Arch:00000",
        "dhcp-userclass=set:ipxe,iPXE",
        "dhcp-boot=tag:bios,pxelinux.0",
        "dhcp-boot=tag:efi64,tag:!ipxe,syslinux.efi",
        'pxe-service=tag:!ipxe,IA32_EFI,"32-bit UEFI",efi32/syslinux.efi,0.0.0.0',
        'pxe-service=ARM64_EFI,"ARM",grubaa64',
      ].join("\n"),
      "10.0.0.1",
    );
    const file = (arch: number) =>
      new FleetResolver(config).resolve({ mac: "52:54:00:00:00:01", arch }).dhcp.filename?.value;
    assert.equal(file(0), "pxelinux.0");
    assert.equal(file(7), "syslinux.efi");
    assert.equal(file(9), "syslinux.efi");
    assert.equal(
      file(6),
      "efi32/syslinux.efi",
      "a basename with a suffix is sent as written; 0.0.0.0 is this server",
    );
    assert.equal(file(11), "grubaa64.0", "a basename without a suffix gets the PXE layer .0");
    assert.equal(file(16), undefined, "no line is for UEFI HTTP boot: bootfleet's own chain");
    assert.equal(config.defaults.dhcp?.next_server, undefined);
  });

  it("0.0.0.0 in an address option is this server, as dnsmasq sends it", () => {
    const { config } = load(
      "dhcp-range=10.0.0.100,10.0.0.199,255.255.255.0\ndhcp-option=option:dns-server,0.0.0.0,8.8.8.8\ndhcp-option=3,0.0.0.0\n",
      "10.0.0.1",
    );
    assert.deepEqual(config.defaults.dhcp?.dns, ["10.0.0.1", "8.8.8.8"]);
    assert.deepEqual(config.defaults.dhcp?.routers, ["10.0.0.1"]);
  });

  it("'#' starts a comment only at the start of a line or after whitespace, as dnsmasq reads it", () => {
    const { config } = load("dhcp-boot=pxe#1.0,,10.0.0.1 # trailing\n");
    assert.equal(config.defaults.dhcp?.filename, "pxe#1.0");
  });

  it("dhcp-boot for a host's tag and a client tag is refused at its line, not a TypeError", () => {
    const r = () =>
      importConfig(
        [
          {
            file: "dnsmasq.conf",
            text: [
              "dhcp-host=52:54:00:00:00:07,192.168.67.7,pc07,set:pc07",
              "dhcp-range=192.168.67.100,192.168.67.199,255.255.255.0",
              "dhcp-userclass=set:ipxe,iPXE",
              "dhcp-boot=tag:pc07,tag:!ipxe,ltsp/pc07.0,,192.168.67.1",
              "dhcp-boot=tag:pc07,tag:ipxe,ltsp/pc07-ipxe.0",
              "dhcp-boot=tag:pc07,tag:!nosuchtag,other.0",
              "dhcp-boot=tag:!pc07,everyone-else.0",
            ].join("\n"),
          },
        ],
        { serverAddress: "192.168.67.1" },
      );
    assert.throws(r, (e: unknown) => {
      assert.ok(e instanceof ImportError);
      assert.deepEqual(
        e.problems.map((p) => `${p.at.line} ${p.message.split(":")[0]}`),
        [
          "4 dhcp-boot for clients tagged pc07, !ipxe",
          "5 dhcp-boot for clients tagged pc07, ipxe",
          "7 dhcp-boot for clients tagged !pc07",
        ],
      );
      return true;
    });
  });

  it("a dhcp-host name that is no hostname is cleaned, with a located warning", () => {
    const r = importConfig(
      [{ file: "dnsmasq.conf", text: "dhcp-host=52:54:00:00:00:07,10.0.0.7,pc{07}.\n" }],
      {
        serverAddress: "10.0.0.1",
      },
    );
    assert.deepEqual(
      r.problems.map((p) => `${p.at.line}:${p.at.column} ${p.message}`),
      ["1:38 'pc{07}.' is not a valid hostname; imported as 'pc-07'"],
    );
    const config = loadConfigFromString(r.yaml, "/tmp/dnsmasq.yaml");
    assert.equal(config.hosts[0]?.name, "pc-07");
  });
});
