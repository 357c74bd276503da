/**
 * lts.conf (LTSP5) and ltsp.conf (LTSP 19+) sections become defaults,
 * groups, hosts and address layers whose settings resolve per machine the
 * way LTSP applied them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfigFromString } from "../../config/load-config.js";
import type { FleetConfig } from "../../config/model.js";
import { FleetResolver } from "../../config/resolve-machine.js";
import { importConfig } from "../import-config.js";

function load(
  file: string,
  text: string,
  extra: { file: string; text: string }[] = [],
): { config: FleetConfig; yaml: string } {
  const r = importConfig([{ file, text }, ...extra], { serverAddress: "192.168.67.1" });
  return { config: loadConfigFromString(r.yaml, "/tmp/lts.yaml"), yaml: r.yaml };
}

function settings(
  config: FleetConfig,
  facts: { mac: string; hostname?: string; ip?: string },
): Record<string, string> {
  const m = new FleetResolver(config).resolve(facts);
  return Object.fromEntries(Object.entries(m.settings).map(([k, v]) => [k, v.value]));
}

describe("LTSP5 lts.conf", () => {
  const LTS = [
    "[Default]",
    "  LDM_DIRECTX = True",
    '  XKBLAYOUT = "us"',
    "",
    "# the lab's old CRT monitors",
    "[crt]",
    "  X_HORIZSYNC = 30-70",
    "  X_MODE_0 = 1024x768",
    "",
    "[00:11:22:33:44:55]",
    "  LIKE = crt",
    "  HOSTNAME = lab1-01",
    "",
    "[00:11:22:33:44:66]",
    "  LIKE = crt",
    "  X_MODE_0 = 800x600",
    "",
    "[192.168.67.20]",
    "  SOUND = False",
    "",
    "[ws250]",
    "  XF86CONFIG_FILE = XF86Config.ltn",
  ].join("\n");

  it("[Default] is every machine's; LIKE makes a group; the section's own settings win", () => {
    const { config } = load("lts.conf", LTS);
    assert.deepEqual(settings(config, { mac: "00:11:22:33:44:55" }), {
      LDM_DIRECTX: "True",
      XKBLAYOUT: "us",
      X_HORIZSYNC: "30-70",
      X_MODE_0: "1024x768",
    });
    assert.deepEqual(settings(config, { mac: "00:11:22:33:44:66" }), {
      LDM_DIRECTX: "True",
      XKBLAYOUT: "us",
      X_HORIZSYNC: "30-70",
      X_MODE_0: "800x600",
    });
    assert.deepEqual(settings(config, { mac: "02:00:00:00:00:09" }), {
      LDM_DIRECTX: "True",
      XKBLAYOUT: "us",
    });
  });

  it("a MAC section with HOSTNAME is a host; without, a group matching the MAC (the machine keeps its name)", () => {
    const { config } = load("lts.conf", LTS);
    const host = config.hosts.find((h) => h.name === "lab1-01");
    assert.equal(host?.mac, "00:11:22:33:44:55");
    assert.ok(config.groups.some((g) => g.match.mac?.includes("00:11:22:33:44:66")));
    assert.equal(
      config.hosts.some((h) => h.mac === "00:11:22:33:44:66"),
      false,
    );
    // crt is applied before the per-MAC group, so the MAC's own X_MODE_0 wins.
    const names = config.groups.map((g) => g.name);
    assert.ok(names.indexOf("crt") < names.indexOf("mac-001122334466"), names.join(","));
  });

  it("an IP section is an address layer; a hostname section a host", () => {
    const { config } = load("lts.conf", LTS);
    assert.equal(settings(config, { mac: "02:00:00:00:00:09", ip: "192.168.67.20" }).SOUND, "False");
    assert.equal(
      settings(config, { mac: "02:00:00:00:00:09", hostname: "ws250" }).XF86CONFIG_FILE,
      "XF86Config.ltn",
    );
  });

  it("merged with dhcpd.conf: the [MAC] section's settings land on the dhcpd host with that MAC", () => {
    const dhcpd =
      "subnet 192.168.67.0 netmask 255.255.255.0 {\n  host pc7 { hardware ethernet 00:11:22:33:44:66; fixed-address 192.168.67.7; }\n}\n";
    const { config } = load("dhcpd.conf", dhcpd, [{ file: "lts.conf", text: LTS }]);
    const pc7 = config.hosts.find((h) => h.name === "pc7")!;
    assert.equal(pc7.settings?.X_MODE_0, "800x600");
    assert.deepEqual(config.groups.find((g) => g.name === "crt")?.match.hosts, ["lab1-01", "pc7"]);
    assert.equal(settings(config, { mac: "00:11:22:33:44:66" }).X_HORIZSYNC, "30-70");
  });
});

describe("ltsp.conf", () => {
  const LTSP = [
    "# /etc/ltsp/ltsp.conf",
    "[server]",
    "NAT=1",
    "",
    "[common]",
    "TIMEZONE=Europe/Athens",
    "",
    "[clients]",
    "RELOGIN=0",
    "",
    "[b8:27:eb:*]",
    "INCLUDE=raspi",
    "",
    "[pc*]",
    "LIGHTDM_CONF=greeter-hide-users=false",
    "",
    "[192.168.67.*]",
    "SCREEN_07=mate",
    "",
    "[raspi]",
    'X_DRIVER="fbdev"',
    "",
    "[00:11:22:33:44:77]",
    "HOSTNAME=pc07",
    "INCLUDE=raspi",
  ].join("\n");

  it("[common] and [clients] are defaults; [server] is a comment", () => {
    const { config, yaml } = load("ltsp.conf", LTSP);
    assert.deepEqual({ ...config.defaults.settings }, { TIMEZONE: "Europe/Athens", RELOGIN: "0" });
    assert.match(yaml, /not mapped: \[server\] settings are for the LTSP server itself/);
    assert.match(yaml, /\| NAT=1/);
  });

  it("glob sections are groups matching MAC, hostname or address; INCLUDE makes a group", () => {
    const { config } = load("ltsp.conf", LTSP);
    const pi = settings(config, { mac: "b8:27:eb:01:02:03" });
    assert.equal(pi.X_DRIVER, "fbdev");
    assert.equal(pi.RELOGIN, "0");
    assert.equal(
      settings(config, { mac: "02:00:00:00:00:09", hostname: "pc12" }).LIGHTDM_CONF,
      "greeter-hide-users=false",
    );
    assert.equal(settings(config, { mac: "02:00:00:00:00:09", ip: "192.168.67.40" }).SCREEN_07, "mate");
    assert.deepEqual(
      config.groups.find((g) => g.name === "192.168.67.*")?.match.ip?.map((c) => c.text),
      ["192.168.67.0/24"],
    );
    const pc07 = settings(config, { mac: "00:11:22:33:44:77" });
    assert.equal(pc07.X_DRIVER, "fbdev");
    assert.equal(pc07.LIGHTDM_CONF, "greeter-hide-users=false");
  });

  it("a LIKE/INCLUDE naming a missing section is a warning, kept as a comment", () => {
    const r = importConfig([{ file: "ltsp.conf", text: "[clients]\nINCLUDE=nosuch\n" }], {
      serverAddress: "10.0.0.1",
    });
    assert.ok(
      r.problems.some(
        (p) =>
          p.severity === "warning" &&
          /INCLUDE names section \[nosuch\]/.test(p.message) &&
          p.at.line === 2 &&
          p.at.column === 9,
      ),
    );
    assert.match(r.yaml, /INCLUDE=nosuch/);
  });

  it("a section included through another is in both groups, by the hosts that include them, not as a host of its name", () => {
    const text = [
      "[00:11:22:33:44:55]",
      "HOSTNAME=lab1 01",
      "INCLUDE=lab1",
      "[lab1]",
      "INCLUDE=printers",
      "KEEP_SYSTEM_SERVICES=ssh",
      "[printers]",
      "PRINTER_0_DEVICE=/dev/usb/lp0",
    ].join("\n");
    const { config } = load("ltsp.conf", text);
    // The host's name was cleaned; the groups name it as it was imported.
    assert.deepEqual(config.groups.find((g) => g.name === "lab1")?.match.hosts, ["lab1-01"]);
    assert.deepEqual(config.groups.find((g) => g.name === "printers")?.match.hosts, ["lab1-01"]);
    const s = settings(config, { mac: "00:11:22:33:44:55" });
    assert.equal(s.PRINTER_0_DEVICE, "/dev/usb/lp0");
    assert.equal(s.KEEP_SYSTEM_SERVICES, "ssh");
  });

  it("settings called constructor or __proto__ are settings; a section that is no valid pattern is a comment", () => {
    const r = importConfig(
      [
        {
          file: "ltsp.conf",
          text: "[clients]\nconstructor = 1\n__proto__ = 2\nconstructor = 3\n[ws0[server]\nX = 1\n",
        },
      ],
      { serverAddress: "10.0.0.1" },
    );
    const config = loadConfigFromString(r.yaml, "/tmp/lts.yaml");
    assert.equal(config.defaults.settings?.constructor, "3");
    assert.match(r.yaml, /^ {4}__proto__: "2"$/m);
    assert.match(r.yaml, /constructor is set again here; the later value wins, as in LTSP \(it was '1'\)/);
    assert.deepEqual(
      r.problems.map((p) => `${p.at.line}:${p.at.column} ${p.message}`),
      ["5:1 [ws0[server] is not a pattern bootfleet can match: unclosed '[' at position 4"],
    );
    assert.match(r.yaml, /not mapped: \[ws0\[server\] matches no machine/);
  });
});

describe("ltsp.conf case patterns and root", () => {
  it("[b8:27:eb:*|dc:a6:32:*] is one group matching either MAC prefix, not a hostname", () => {
    const text = [
      "[clients]",
      "X=1",
      "",
      "[b8:27:eb:*|dc:a6:32:*]",
      'FSTAB_BOOT="/dev/mmcblk0p1 /boot vfat 0 2"',
    ].join("\n");
    const { config } = load("ltsp.conf", text);
    const g = config.groups.find((x) => x.match.mac?.length);
    assert.deepEqual(g?.match.mac, ["b8:27:eb:*", "dc:a6:32:*"]);
    assert.equal(g?.match.hostname, undefined);
    assert.match(settings(config, { mac: "dc:a6:32:00:00:01" }).FSTAB_BOOT ?? "", /mmcblk0p1/);
    assert.match(settings(config, { mac: "b8:27:eb:00:00:01" }).FSTAB_BOOT ?? "", /mmcblk0p1/);
    assert.equal(settings(config, { mac: "00:11:22:33:44:55" }).FSTAB_BOOT, undefined);
  });

  it("ROOTFS=nfs is root: nfs on that layer, with a located warning that the export is not an image", () => {
    const r = importConfig([{ file: "lts.conf", text: "[Default]\nROOTFS=nfs\nSERVER=192.168.67.1\n" }]);
    const config = loadConfigFromString(r.yaml, "/tmp/lts.yaml");
    assert.equal(config.defaults.root, "nfs");
    assert.ok(
      r.problems.some((p) => p.severity === "warning" && p.at.line === 2 && /ROOTFS=nfs/.test(p.message)),
    );
  });
});

describe("ltsp.conf settings that decide what boots", () => {
  it("KERNEL_PARAMETERS and DEFAULT_IMAGE under [server] are every client's, a MAC section's that client's", () => {
    const text = [
      "[server]",
      "NAT=1",
      'KERNEL_PARAMETERS="nomodeset"',
      "DEFAULT_IMAGE=x86_64",
      "[52:54:00:12:34:56]",
      'KERNEL_PARAMETERS="nomodeset noapic"',
      "DEFAULT_IMAGE=x86_32",
    ].join("\n");
    const r = importConfig([{ file: "ltsp.conf", text }], { serverAddress: "192.168.67.1" });
    const config = loadConfigFromString(r.yaml, "/tmp/ltsp.yaml");
    const resolver = new FleetResolver(config);
    const other = resolver.resolve({ mac: "02:00:00:00:00:01" });
    assert.equal(other.image?.value, "x86_64");
    assert.deepEqual(
      other.kernel_args.map((k) => k.value),
      ["nomodeset"],
    );
    const pc = resolver.resolve({ mac: "52:54:00:12:34:56" });
    assert.equal(pc.image?.value, "x86_32");
    // LTSP replaces [server]'s value; bootfleet appends, so the section adds only what is new.
    assert.equal(pc.kernel_args.map((k) => k.value).join(" "), "nomodeset noapic");
    assert.equal(config.defaults.settings?.KERNEL_PARAMETERS, undefined);
  });
});
