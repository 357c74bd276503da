import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { explainMachine, formatExplanation } from "./explain-machine.js";
import { loadConfig, loadConfigFromString } from "./load-config.js";
import { MachineOverrides } from "./machine-overrides.js";
import type { MachineFacts } from "./model.js";
import { FleetResolver } from "./resolve-machine.js";

const fleet = `
server: { address: 198.18.0.1 }
images: { debian: {}, tiny: {}, kiosk: {}, gentoo: {} }
networks:
  - subnet: 198.18.0.0/24
    routers: [198.18.0.1]
    domain: lab.example
    settings: { NET: a }
    kernel_args: "net=a"
  - subnet: 198.18.1.0/24
    image: gentoo
    routers: [198.18.1.1]
defaults:
  image: debian
  boot_unknown: true
  settings: { XKBLAYOUT: us, SOUND: "true", LDM_SESSION: gnome }
  files:
    /etc/motd: "default\\n"
    /etc/issue: "bootfleet\\n"
  dhcp: { options: { "128": "default-128", "129": "default-129" } }
groups:
  lab3:
    match: { hostname: "lab3-*" }
    settings: { XKBLAYOUT: de }
    files: { /etc/motd: "lab3\\n" }
    kernel_args: "lab=3"
  pis:
    match: { mac: "b8:27:eb" }
    image: tiny
    loader: pxelinux
  upper:
    match: { ip: 198.18.0.128/25 }
    settings: { ZONE: upper }
  second:
    match: { hostname: "lab3-1*" }
    settings: { XKBLAYOUT: fr }
  kiosks:
    match: { hosts: [kiosk-1] }
    image: kiosk
    dhcp: { options: { "128": "kiosk-128" } }
  closed:
    boot_unknown: false
hosts:
  lab3-14:
    mac: "52:54:00:12:34:56"
    ip: 198.18.0.14
    settings: { XKBLAYOUT: gb }
    kernel_args: "host=14"
  lab3-20:
    mac: "52:54:00:12:34:20"
    ip: 198.18.0.200
  kiosk-1:
    mac: "52:54:00:00:00:01"
    ip: 198.18.1.10
  member:
    mac: "52:54:00:00:00:02"
    groups: [closed]
addresses:
  198.18.0.14:
    settings: { XKBLAYOUT: ch }
    files: { /etc/motd: "ip layer\\n" }
`;

const config = loadConfigFromString(fleet, "/fleet/bootfleet.yaml");
const r = new FleetResolver(config);
const res = (f: Partial<MachineFacts>) => r.resolve({ mac: "02:00:00:00:00:99", ...f });

describe("FleetResolver", () => {
  it("an unknown machine gets the defaults", () => {
    const m = res({});
    assert.equal(m.known, false);
    assert.equal(m.image?.value, "debian");
    assert.equal(m.image?.origin.layer, "defaults");
    assert.equal(m.settings.XKBLAYOUT?.value, "us");
    assert.deepEqual(m.groups, []);
  });

  it("the only network is chosen when nothing says which (two networks: none)", () => {
    assert.equal(res({}).network, undefined);
    assert.equal(res({ ip: "198.18.1.50" }).network?.subnet.text, "198.18.1.0/24");
  });

  it("a network layer overrides defaults", () => {
    const m = res({ ip: "198.18.1.50" });
    assert.equal(m.image?.value, "gentoo");
    assert.equal(m.image?.origin.layer, "network");
    assert.equal(m.image?.origin.name, "198.18.1.0/24");
  });

  it("the relay address picks the network when the machine has no address yet", () => {
    assert.equal(res({ relay: "198.18.1.1" }).network?.subnet.text, "198.18.1.0/24");
  });

  it("a host is found by MAC and brings its fixed address and name", () => {
    const m = res({ mac: "52:54:00:12:34:56" });
    assert.equal(m.known, true);
    assert.equal(m.hostname, "lab3-14");
    assert.equal(m.ip, "198.18.0.14");
    assert.equal(m.network?.subnet.text, "198.18.0.0/24");
  });

  it("MAC spelling does not matter", () => {
    assert.equal(res({ mac: "52-54-00-12-34-56" }).hostname, "lab3-14");
    assert.equal(res({ mac: "52:54:00:12:34:56".toUpperCase() }).hostname, "lab3-14");
  });

  it("a host is found by hostname, also fully qualified (the domain is dropped)", () => {
    assert.equal(res({ hostname: "lab3-14.example.edu" }).known, true);
  });

  it("groups match by hostname glob", () => {
    assert.deepEqual(res({ hostname: "lab3-7" }).groups, ["lab3"]);
    assert.deepEqual(res({ hostname: "lab4-7" }).groups, []);
  });

  it("groups match by MAC OUI", () => {
    const m = res({ mac: "b8:27:eb:01:02:03" });
    assert.deepEqual(m.groups, ["pis"]);
    assert.equal(m.image?.value, "tiny");
    assert.equal(m.loader.value, "pxelinux");
  });

  it("groups match by IP range", () => {
    assert.deepEqual(res({ ip: "198.18.0.130" }).groups, ["upper"]);
    assert.deepEqual(res({ ip: "198.18.0.127" }).groups, []);
  });

  it("a group with match.arch holds only for requests of those architectures (option 93), narrowing its other matches", () => {
    const arch = loadConfigFromString(
      `
server: { address: 198.18.0.1 }
networks: [ { subnet: 198.18.0.0/24 } ]
defaults: { dhcp: { filename: bios/pxelinux.0 } }
groups:
  uefi: { match: { arch: [7, 9] }, dhcp: { filename: efi64/syslinux.efi } }
  pis-uefi: { match: { mac: "b8:27:eb", arch: [11] }, dhcp: { filename: rpi/grub.efi } }
`,
      "/fleet/arch.yaml",
    );
    const ar = new FleetResolver(arch);
    const file = (facts: Partial<MachineFacts>) =>
      ar.resolve({ mac: "52:54:00:00:00:09", ...facts }).dhcp.filename?.value;
    assert.equal(file({}), "bios/pxelinux.0", "no option 93: not in any arch group");
    assert.equal(file({ arch: 0 }), "bios/pxelinux.0");
    assert.equal(file({ arch: 7 }), "efi64/syslinux.efi");
    assert.equal(file({ arch: 9 }), "efi64/syslinux.efi");
    assert.equal(file({ arch: 11 }), "bios/pxelinux.0", "arch 11 alone does not make a Pi");
    assert.equal(file({ arch: 11, mac: "b8:27:eb:00:00:01" }), "rpi/grub.efi");
    assert.equal(file({ arch: 0, mac: "b8:27:eb:00:00:01" }), "bios/pxelinux.0");
  });

  it("groups match by explicit membership (group side and host side)", () => {
    assert.deepEqual(res({ mac: "52:54:00:00:00:01" }).groups, ["kiosks"]);
    assert.deepEqual(res({ mac: "52:54:00:00:00:02" }).groups, ["closed"]);
  });

  it("later groups win over earlier ones, in declared order", () => {
    const m = res({ hostname: "lab3-15" });
    assert.deepEqual(m.groups, ["lab3", "second"]);
    assert.equal(m.settings.XKBLAYOUT?.value, "fr");
    assert.equal(m.settings.XKBLAYOUT?.origin.name, "second");
  });

  it("a host wins over its groups", () => {
    const m = res({ mac: "52:54:00:12:34:20" });
    assert.deepEqual(m.groups, ["lab3", "upper"]);
    assert.equal(m.settings.ZONE?.value, "upper");
  });

  it("an address layer wins over the host", () => {
    const m = res({ mac: "52:54:00:12:34:56" });
    assert.equal(m.settings.XKBLAYOUT?.value, "ch");
    assert.equal(m.settings.XKBLAYOUT?.origin.layer, "address");
    assert.equal(m.files["/etc/motd"]?.value.content.toString(), "ip layer\n");
  });

  it("settings merge key by key across layers", () => {
    const m = res({ mac: "52:54:00:12:34:56" });
    assert.equal(m.settings.SOUND?.value, "true");
    assert.equal(m.settings.SOUND?.origin.layer, "defaults");
    assert.equal(m.settings.NET?.origin.layer, "network");
  });

  it("files merge by path; untouched files keep their layer", () => {
    const m = res({ hostname: "lab3-3" });
    assert.equal(m.files["/etc/motd"]?.value.content.toString(), "lab3\n");
    assert.equal(m.files["/etc/motd"]?.origin.name, "lab3");
    assert.equal(m.files["/etc/issue"]?.origin.layer, "defaults");
  });

  it("kernel_args accumulate in layer order", () => {
    const m = res({ mac: "52:54:00:12:34:56" });
    assert.deepEqual(
      m.kernel_args.map((k) => k.value),
      ["net=a", "lab=3", "host=14"],
    );
  });

  it("custom DHCP options merge by code", () => {
    const m = res({ mac: "52:54:00:00:00:01" });
    assert.deepEqual(m.dhcp.options?.value, { "128": "kiosk-128", "129": "default-129" });
  });

  it("DHCP options from the network carry their origin", () => {
    const m = res({ ip: "198.18.0.5" });
    assert.deepEqual(m.dhcp.routers?.value, ["198.18.0.1"]);
    assert.equal(m.dhcp.routers?.origin.layer, "network");
    assert.equal(m.dhcp.domain?.value, "lab.example");
  });

  it("boot_unknown: built-in true, overridable per group", () => {
    assert.equal(res({}).boot_unknown.value, true);
    assert.equal(res({ mac: "52:54:00:00:00:02" }).boot_unknown.value, false);
  });

  it("origins name the exact key's file:line:column", () => {
    const m = res({ mac: "52:54:00:12:34:56" });
    const at = m.kernel_args[2]!.origin.at!;
    assert.equal(at.file, "/fleet/bootfleet.yaml");
    assert.equal(fleet.split("\n")[at.line - 1]!.trim(), 'kernel_args: "host=14"');
    assert.equal(at.column, 18);
  });

  it("built-in values say so", () => {
    const m = res({});
    assert.equal(m.loader.value, "ipxe");
    assert.equal(m.loader.origin.layer, "builtin");
    assert.equal(m.nbd.cow.value, false);
  });

  it("findHost by MAC, name and IP", () => {
    assert.equal(r.findHost("52:54:00:12:34:56")?.name, "lab3-14");
    assert.equal(r.findHost("LAB3-14")?.name, "lab3-14");
    assert.equal(r.findHost("198.18.0.14")?.name, "lab3-14");
    assert.equal(r.findHost("198.18.0.99"), undefined);
  });

  it("resolved values are frozen", () => {
    assert.ok(Object.isFrozen(res({})));
  });
});

describe("image set through the API (the last layer)", () => {
  const AT = Date.UTC(2026, 10, 20, 9, 30, 0);
  const overrides = new MachineOverrides([
    { mac: "52:54:00:12:34:56", image: "kiosk", setAt: AT, setBy: "api-token" },
    { mac: "02:00:00:00:00:77", image: "gentoo", setAt: AT, setBy: "alice" },
  ]);
  const withApi = new FleetResolver(config, overrides);

  it("wins over the address layer, which wins over the host", () => {
    const m = withApi.resolve({ mac: "52:54:00:12:34:56" });
    // lab3-14 has an address layer (198.18.0.14); the override still wins.
    assert.equal(m.settings.XKBLAYOUT?.origin.layer, "address");
    assert.equal(m.image?.value, "kiosk");
    assert.deepEqual(m.image?.origin, {
      layer: "api",
      name: "set via API by api-token at 2026-11-20T09:30:00.000Z",
      at: undefined,
    });
    // Only the image is overridden: everything else resolves as before.
    const before = r.resolve({ mac: "52:54:00:12:34:56" });
    assert.equal(before.image?.value, "debian");
    assert.deepEqual(m.settings, before.settings);
    assert.deepEqual(m.kernel_args, before.kernel_args);
  });

  it("applies to undeclared machines by MAC, and looks the MAC up normalised", () => {
    const m = withApi.resolve({ mac: "02-00-00-00-00-77" });
    assert.equal(m.known, false);
    assert.equal(m.image?.value, "gentoo");
    assert.equal(m.image?.origin.layer, "api");
  });

  it("follows the source: a removed override falls back to the config", () => {
    const live = new MachineOverrides();
    const lr = new FleetResolver(config, live);
    assert.equal(lr.resolve({ mac: "52:54:00:12:34:20" }).image?.origin.layer, "defaults");
    live.set("52:54:00:12:34:20", { image: "tiny", setAt: AT, setBy: "api-token" });
    assert.equal(lr.resolve({ mac: "52:54:00:12:34:20" }).image?.value, "tiny");
    live.set("52:54:00:12:34:20", undefined);
    const back = lr.resolve({ mac: "52:54:00:12:34:20" });
    assert.equal(back.image?.value, "debian");
    assert.equal(back.image?.origin.layer, "defaults");
  });

  it("explain shows where the image came from", () => {
    const e = explainMachine(withApi.resolve({ mac: "52:54:00:12:34:56" }), "/fleet");
    const image = e.values.find((v) => v.key === "image");
    assert.deepEqual(image, {
      key: "image",
      value: "kiosk",
      layer: "api",
      name: "set via API by api-token at 2026-11-20T09:30:00.000Z",
      at: undefined,
    });
    assert.match(
      formatExplanation(e),
      /^image\s+kiosk\s+api set via API by api-token at 2026-11-20T09:30:00\.000Z$/m,
    );
  });
});

describe("diskless-scripts layering from a layers/ tree", () => {
  it("base < network < lab < host < IP", async () => {
    const c = await loadConfig(
      join(import.meta.dirname, "../../test/fixtures/config/ltsp-layered/bootfleet.yaml"),
    );
    const tr = new FleetResolver(c);
    const layer = (f: Partial<MachineFacts>) =>
      tr
        .resolve({ mac: "02:00:00:00:00:01", ...f })
        .files["/etc/layer"]?.value.content.toString()
        .trim();
    assert.equal(layer({}), "networks/198.18.0.255", "only network known: the network layer");
    assert.equal(layer({ ip: "198.18.0.50" }), "networks/198.18.0.255");
    assert.equal(layer({ ip: "198.18.0.50", hostname: "lab4-2" }), "labs/lab4");
    assert.equal(layer({ ip: "198.18.0.50", hostname: "lab3-2" }), "labs/lab3");
    assert.equal(layer({ ip: "198.18.0.50", hostname: "lab3-14" }), "hosts/lab3-14");
    assert.equal(layer({ ip: "198.18.0.14", hostname: "lab3-14" }), "hosts/198.18.0.14");
    const all = tr.resolve({ mac: "02:00:00:00:00:01", ip: "198.18.0.14", hostname: "lab3-14.example.edu" });
    assert.deepEqual(Object.keys(all.files).sort(), [
      "/etc/base-only",
      "/etc/fstab",
      "/etc/layer",
      "/etc/rc.local",
      "/etc/resolv.conf",
      "/etc/xorg.conf",
    ]);
    assert.equal(all.files["/etc/rc.local"]?.value.mode, 0o755);
    assert.match(all.files["/etc/xorg.conf"]!.origin.at!.file, /layers\/labs\/lab3\/etc\/xorg\.conf$/);
    assert.equal(all.files["/etc/base-only"]?.origin.layer, "defaults");
  });
});

describe("root: nbd or ram", () => {
  const yaml = `
server: { address: 198.18.0.1 }
images: { debian: {}, kiosk: { root: ram } }
defaults: { image: debian, boot_unknown: true }
groups:
  kiosks:
    match: { hostname: "kiosk-*" }
    image: kiosk
  lab:
    match: { hostname: "lab-*" }
    root: ram
hosts:
  kiosk-1: { mac: "52:54:00:00:16:01" }
  kiosk-2: { mac: "52:54:00:00:16:02", root: nbd }
  lab-1: { mac: "52:54:00:00:16:03" }
`;
  const rr = new FleetResolver(loadConfigFromString(yaml, "/fleet/bootfleet.yaml"));
  const root = (mac: string) => rr.resolve({ mac }).root;

  it("is nbd by default, an image's default under every layer, a layer's value above it; explain names where", () => {
    assert.deepEqual(
      [
        root("02:00:00:00:00:99"),
        root("52:54:00:00:16:01"),
        root("52:54:00:00:16:02"),
        root("52:54:00:00:16:03"),
      ].map((v) => [v.value, v.origin.layer]),
      [
        ["nbd", "builtin"],
        ["ram", "defaults"],
        ["nbd", "host"],
        ["ram", "group"],
      ],
    );
    const text = formatExplanation(explainMachine(rr.resolve({ mac: "52:54:00:00:16:03" }), "/fleet"));
    assert.match(text, /^root\s+ram\s+group lab\s+bootfleet\.yaml:\d+:\d+$/m);
  });

  it("anything but nbd or ram is a located error", () => {
    assert.throws(
      () =>
        loadConfigFromString(
          "server: { address: 198.18.0.1 }\ndefaults:\n  root: disk\n",
          "/fleet/bootfleet.yaml",
        ),
      /bootfleet\.yaml:3:\d+.*root/,
    );
  });
});
