/**
 * Every real-world dhcpd.conf, lts.conf, dnsmasq and pxelinux snippet in
 * test/fixtures/migrate/ (copied verbatim from LTSP and diskless HOWTOs;
 * the number groups the files one site used together) imports to a config
 * the loader accepts (`bootfleet check`), and each declared host resolves
 * (`bootfleet explain`) to the address, boot file and settings the original
 * gave it. One row per host in the fixtures.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { explainMachine } from "../config/explain-machine.js";
import { loadConfigFromString } from "../config/load-config.js";
import type { FleetConfig } from "../config/model.js";
import { FleetResolver } from "../config/resolve-machine.js";
import { type ImportOptions, importConfig } from "./import-config.js";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/migrate");

function load(files: readonly string[], options: ImportOptions = {}): { config: FleetConfig; yaml: string } {
  const inputs = files.map((f) => ({ file: f, text: readFileSync(join(FIXTURES, f), "utf8") }));
  const { yaml } = importConfig(inputs, options);
  // What `bootfleet check` runs; it throws ConfigError with file:line:column on any problem.
  const config = loadConfigFromString(yaml, join(FIXTURES, "imported.yaml"));
  return { config, yaml };
}

/** A locally administered MAC no fixture uses, for hosts declared without one (explain resolves them by name). */
const NO_MAC = "02:00:00:00:00:01";

/** `bootfleet explain`'s values for a declared host, as key -> text. */
function explain(
  config: FleetConfig,
  name: string,
): { ip?: string; groups: readonly string[]; values: Map<string, string> } {
  const resolver = new FleetResolver(config);
  const host = resolver.findHost(name);
  assert.ok(host, `host ${name} is declared`);
  const e = explainMachine(resolver.resolve({ mac: host.mac ?? NO_MAC, ip: host.ip, hostname: host.name }));
  assert.equal(e.known, true, `${name} resolves as a declared host`);
  const values = new Map(
    e.values.map((v) => [v.key, typeof v.value === "string" ? v.value : JSON.stringify(v.value)]),
  );
  return { ip: e.ip, groups: e.groups, values };
}

interface HostRow {
  readonly files: readonly string[];
  readonly options?: ImportOptions;
  readonly host: string;
  readonly mac?: string;
  readonly ip?: string;
  readonly groups?: readonly string[];
  /** explain keys -> values the original gave this machine. */
  readonly expect: Readonly<Record<string, string>>;
  /** explain keys the original did not give it. */
  readonly absent?: readonly string[];
}

const LTSP_DHCPD = ["000-dhcpd.conf"];
const LTSP_WITH_LTS_CONF = ["000-dhcpd.conf", "000-lts.conf"];
const LTSP_SHARED = {
  "dhcp.filename": "/pxe/pxelinux.0",
  "dhcp.next_server": "10.0.0.11",
  "dhcp.root_path": "10.0.0.11:/opt/ltsp/i386",
  "dhcp.domain": "ltsp.domain.tld",
  "dhcp.routers": "10.0.0.1",
  "dhcp.dns": "10.0.0.1",
  "dhcp.options.7": "0x0a00000b",
  "dhcp.options.128": "0xe44574680000",
  boot_unknown: "false",
};
const STRIPPED_DHCPD = { files: ["001-dhcpd.conf"], options: { partial: true, serverAddress: "10.0.0.11" } };

const ROWS: readonly HostRow[] = [
  // 000-dhcpd.conf: the Gentoo LTSP dhcpd.conf (shared-network, groups, option-128/129, PXEClient/Etherboot branches).
  {
    files: LTSP_DHCPD,
    host: "desktop",
    mac: "00:c0:4f:ad:5c:bc",
    ip: "10.0.0.12",
    groups: ["DESKTOP"],
    expect: LTSP_SHARED,
    absent: ["dhcp.options.129"],
  },
  {
    files: LTSP_DHCPD,
    host: "ws100",
    ip: "10.0.0.100",
    groups: ["LIBRARY"],
    expect: { ...LTSP_SHARED, "dhcp.options.129": "DPORT=1067" },
  },
  {
    files: LTSP_DHCPD,
    host: "ws101",
    mac: "00:60:08:5c:cb:be",
    ip: "10.0.0.101",
    groups: ["LIBRARY"],
    expect: {
      ...LTSP_SHARED,
      "dhcp.options.129": "DPORT=1067 NIC=3c509 MOPTS=nolock,ro,wsize=2048,rsize=2048",
    },
  },
  {
    files: LTSP_DHCPD,
    host: "ws102",
    mac: "00:c0:4f:ad:5d:55",
    ip: "10.0.0.102",
    groups: ["LIBRARY"],
    expect: { ...LTSP_SHARED, "dhcp.options.129": "NIC=ne IO=0x300" },
  },
  {
    files: LTSP_DHCPD,
    host: "ws103",
    ip: "10.0.0.103",
    groups: ["LAB"],
    expect: { ...LTSP_SHARED, "dhcp.options.129": "nfsroot=10.0.0.11:/opt/ltsp/i386" },
  },
  // 000-lts.conf, alone and merged with its dhcpd.conf.
  {
    files: ["000-lts.conf"],
    host: "WS250",
    expect: { "settings.XF86CONFIG_FILE": "XF86Config.ltn", "settings.SERVER": "10.0.0.12" },
  },
  {
    files: LTSP_WITH_LTS_CONF,
    host: "WS250",
    expect: {
      "settings.XF86CONFIG_FILE": "XF86Config.ltn",
      "settings.SERVER": "10.0.0.12",
      "dhcp.next_server": "10.0.0.11",
    },
  },
  {
    files: LTSP_WITH_LTS_CONF,
    host: "ws101",
    mac: "00:60:08:5c:cb:be",
    ip: "10.0.0.101",
    expect: { ...LTSP_SHARED, "settings.SERVER": "10.0.0.12" },
  },
  // 001-dhcpd.conf: the same dhcpd.conf with its values stripped and braces lost; imported with --partial.
  {
    ...STRIPPED_DHCPD,
    host: "desktop",
    mac: "00:c0:4f:ad:5c:bc",
    expect: {},
    absent: ["dhcp.filename", "dhcp.options.129"],
  },
  { ...STRIPPED_DHCPD, host: "ws100", expect: { "dhcp.options.129": "DPORT=1067" } },
  {
    ...STRIPPED_DHCPD,
    host: "ws101",
    mac: "00:60:08:5c:cb:be",
    expect: { "dhcp.options.129": "DPORT=1067 NIC=3c509 MOPTS=nolock,ro,wsize=2048,rsize=2048" },
  },
  {
    ...STRIPPED_DHCPD,
    host: "ws102",
    mac: "00:c0:4f:ad:5d:55",
    expect: { "dhcp.options.129": "NIC=ne IO=0x300" },
  },
  { ...STRIPPED_DHCPD, host: "ws103", expect: { "dhcp.options.129": "nfsroot=" } },
  // 002-dhcpd-host.conf: one host with the PXEClient -> gPXE -> pxelinux chain written by hand.
  {
    files: ["002-dhcpd-host.conf"],
    host: "webc2",
    mac: "20:cf:30:6f:0a:9e",
    expect: { "dhcp.filename": "/ltsp-trusty/i386/pxelinux.0", "dhcp.next_server": "192.168.202.4" },
  },
  {
    files: ["002-dhcpd-host.conf", "002-pxelinux.cfg-ltsp"],
    host: "webc2",
    mac: "20:cf:30:6f:0a:9e",
    expect: {
      "dhcp.filename": "/ltsp-trusty/i386/pxelinux.0",
      "dhcp.next_server": "192.168.202.4",
      image: "ltsp-NBD",
    },
  },
  // 003-dhcpd.conf: the diskless dhcpd.conf (anonymous groups, two `host diskless-1`).
  {
    files: ["003-dhcpd.conf"],
    host: "diskless-1",
    mac: "00:11:22:33:44:55",
    ip: "192.168.1.23",
    groups: ["group-1"],
    expect: {
      "dhcp.filename": "gentoo/pxelinux.0",
      "dhcp.routers": "192.168.1.1",
      "dhcp.dns": "192.168.1.1, 192.168.2.1",
    },
  },
  {
    files: ["003-dhcpd.conf", "003-pxelinux.cfg-default"],
    host: "diskless-1-2",
    ip: "192.168.1.24",
    groups: ["group-1"],
    expect: { "dhcp.filename": "gentoo/pxelinux.0", "dhcp.routers": "192.168.1.1", image: "gentoo" },
  },
];

describe("real-world snippets import to configs that pass check, and explain gives each host what the original did", () => {
  for (const row of ROWS) {
    it(`${row.files.join(" + ")}: ${row.host}`, () => {
      const { config } = load(row.files, row.options);
      const e = explain(config, row.host);
      const host = config.hosts.find((h) => h.name === row.host)!;
      assert.equal(host.mac, row.mac, "mac");
      assert.equal(e.ip, row.ip, "address");
      if (row.groups) assert.deepEqual(e.groups, row.groups);
      for (const [k, v] of Object.entries(row.expect)) assert.equal(e.values.get(k), v, k);
      for (const k of row.absent ?? []) assert.equal(e.values.has(k), false, `${k} is not set`);
    });
  }
});

describe("real-world snippets without hosts", () => {
  it("000 dnsmasq: dhcp-boot gives every machine the boot file and TFTP server", () => {
    const { config, yaml } = load(["000-dnsmasq.conf"]);
    const e = explainMachine(new FleetResolver(config).resolve({ mac: NO_MAC }));
    const v = new Map(e.values.map((x) => [x.key, x.value]));
    assert.equal(v.get("dhcp.filename"), "/pxe/pxelinux.0");
    assert.equal(v.get("dhcp.next_server"), "192.168.0.102");
    assert.equal(config.server.address, "192.168.0.102");
    // The root path is in a comment on the same line (the wiki joined two lines): dnsmasq ignores it, and so does the import, saying so.
    assert.equal(v.has("dhcp.root_path"), false);
    assert.match(yaml, /dhcp-option=17,192\.168\.0\.102:\/opt\/ltsp-4\.2\/i386/);
    assert.match(yaml, /dnsmasq ignores it/);
  });

  it("001 dnsmasq: only a comment, kept", () => {
    const { config, yaml } = load(["001-dnsmasq.conf"], { serverAddress: "10.0.0.11" });
    assert.equal(config.hosts.length, 0);
    assert.match(yaml, /# root path/);
  });

  it("001 lts.conf: settings with no section become defaults", () => {
    const { config } = load(["001-lts.conf"], { serverAddress: "10.0.0.11" });
    assert.deepEqual({ ...config.defaults.settings }, { SERVER: "", XF86CONFIG_FILE: "XF86Config.ltn" });
  });

  it("002 pxelinux.cfg/ltsp: the label is an image with its kernel args; root, initrd and nbdroot are described", () => {
    const { config } = load(["002-pxelinux.cfg-ltsp"]);
    assert.equal(config.defaults.image, "ltsp-NBD");
    const image = config.images["ltsp-NBD"]!;
    assert.equal(image.kernel_args, "ro init=/sbin/init-ltsp nosplash");
    assert.match(image.description ?? "", /kernel vmlinuz-3\.13\.0-37-generic/);
    assert.match(image.description ?? "", /initrd initrd\.img-3\.13\.0-37-generic/);
    assert.match(image.description ?? "", /NBD 192\.168\.202\.4:2001/);
    assert.equal(config.server.address, "192.168.202.4");
  });

  it("003 pxelinux.cfg/default: the joined DEFAULT line is read as DEFAULT + APPEND + IPAPPEND", () => {
    const { config } = load(["003-pxelinux.cfg-default"]);
    assert.equal(config.defaults.image, "gentoo");
    // No stray "APPEND", "IPAPPEND" or "1" (single-user mode) reaches the kernel.
    assert.equal(config.images.gentoo!.kernel_args, undefined);
    assert.match(config.images.gentoo!.description ?? "", /NFS 192\.168\.1\.1:\/diskless\/gentoo/);
    assert.equal(config.server.address, "192.168.1.1");
  });
});

describe("nothing is dropped silently", () => {
  for (const file of [
    "000-dhcpd.conf",
    "003-dhcpd.conf",
    "000-lts.conf",
    "002-pxelinux.cfg-ltsp",
    "002-dhcpd-host.conf",
  ]) {
    it(`${file}: every comment of the original is in the output`, () => {
      const { yaml } = load([file]);
      const text = readFileSync(join(FIXTURES, file), "utf8");
      for (const line of text.split("\n")) {
        const i = line.indexOf("#");
        if (i < 0) continue;
        const comment = line.slice(i + 1).trim();
        if (comment) assert.ok(yaml.includes(comment), `comment kept: ${comment}`);
      }
    });
  }

  it("000-dhcpd.conf: every statement that is not a key is a comment with its line", () => {
    const { yaml } = load(["000-dhcpd.conf"]);
    for (const s of [
      "ddns-update-style none;",
      "max-lease-time 86400;",
      "allow booting;",
      "allow bootp;",
      "use-host-decl-names on;",
    ])
      assert.match(yaml, new RegExp(`\\| ${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`), s);
    assert.match(yaml, /000-dhcpd\.conf:6: not mapped: bootfleet does no dynamic DNS updates/);
    assert.match(yaml, /filename "\/lts\/vmlinuz-2\.6\.16\.1-ltsp-2"/);
  });
});
