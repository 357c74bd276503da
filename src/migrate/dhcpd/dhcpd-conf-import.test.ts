/**
 * dhcpd.conf constructs beyond the real-world fixtures: option host-name renaming a host,
 * named option declarations, option 93 branches, iPXE chains bootfleet
 * builds itself, pools, and derived subnet-mask/broadcast options.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfigFromString } from "../../config/load-config.js";
import type { FleetConfig } from "../../config/model.js";
import { FleetResolver } from "../../config/resolve-machine.js";
import { importConfig } from "../import-config.js";
import { ImportError } from "../import-problem.js";

function load(text: string): { config: FleetConfig; yaml: string } {
  const r = importConfig([{ file: "dhcpd.conf", text }], { serverAddress: "10.0.0.1" });
  return { config: loadConfigFromString(r.yaml, "/tmp/dhcpd.yaml"), yaml: r.yaml };
}

describe("dhcpd.conf import", () => {
  it("option host-name names the host; a named option declaration maps by code", () => {
    const { config, yaml } = load(
      [
        "option ltsp-config code 128 = string;",
        "option ltsp-name code 129 = text;",
        "host decl-name {",
        "  hardware ethernet 0:c:29:a:b:c;",
        '  option host-name "pc-01";',
        "  option ltsp-config 01:02:ff;",
        '  option ltsp-name "lab";',
        "}",
      ].join("\n"),
    );
    const h = config.hosts[0]!;
    assert.equal(h.name, "pc-01");
    assert.equal(h.mac, "00:0c:29:0a:0b:0c");
    assert.deepEqual({ ...h.dhcp?.options }, { "128": "0x0102ff", "129": "lab" });
    assert.match(yaml, /dhcpd's declaration name: decl-name/);
  });

  it("dhcp-cache-threshold maps to services.dhcp.lease_cache_threshold; inside a subnet it is a comment, a bad value an error", () => {
    const { config } = load("dhcp-cache-threshold 10;\ndefault-lease-time 7200;\n");
    assert.equal(config.services.dhcp.lease_cache_threshold, 10);
    assert.equal(config.services.dhcp.lease_time, 7200);
    // dhcpd's own default when the file says nothing.
    assert.equal(load("default-lease-time 7200;\n").config.services.dhcp.lease_cache_threshold, 25);
    const { config: inSubnet, yaml } = load(
      "subnet 10.0.0.0 netmask 255.255.255.0 {\n  dhcp-cache-threshold 0;\n  range 10.0.0.10 10.0.0.20;\n}\n",
    );
    assert.equal(inSubnet.services.dhcp.lease_cache_threshold, 25);
    assert.match(yaml, /not mapped: bootfleet has one threshold for all its networks/);
    assert.throws(
      () => load("dhcp-cache-threshold 250;\n"),
      (e: unknown) =>
        e instanceof ImportError &&
        /dhcpd\.conf:1:22: error: dhcp-cache-threshold '250' is not a percentage from 0 to 100/.test(
          e.message,
        ),
    );
  });

  it("option 93 branches: the BIOS branch's boot file goes to BIOS clients only; iPXE's binary and script are bootfleet's own", () => {
    const { config, yaml } = load(
      [
        "option arch code 93 = unsigned integer 16;",
        'if exists user-class and option user-class = "iPXE" {',
        '  filename "http://10.0.0.1/boot.ipxe";',
        "} elsif option arch = 00:07 {",
        '  filename "ipxe.efi";',
        "} elsif option arch = 00:00 {",
        '  filename "pxelinux.0";',
        "}",
      ].join("\n"),
    );
    assert.equal(config.defaults.dhcp?.filename, undefined, "no branch is for other architectures");
    assert.deepEqual(
      config.groups.map((g) => [g.name, g.match.arch, g.dhcp?.filename]),
      [["bios", [0], "pxelinux.0"]],
    );
    assert.match(yaml, /filename: pxelinux\.0 # dhcpd\.conf:7, for architecture 0 \(bios\)/);
  });

  it("an else branch is for the other architectures only, not every client's", () => {
    const { config } = load(
      [
        "option architecture-type code 93 = unsigned integer 16;",
        "subnet 10.0.0.0 netmask 255.255.255.0 {",
        "  range 10.0.0.100 10.0.0.199;",
        '  if substring (option vendor-class-identifier, 15, 5) = "00007" {',
        '    filename "uefi/syslinux.efi";',
        "    next-server 10.0.0.2;",
        "  } elsif option architecture-type = 00:06 or option architecture-type = 00:0a {",
        '    filename "uefi32/syslinux.efi";',
        "  } else {",
        '    filename "bios/pxelinux.0";',
        "  }",
        "}",
      ].join("\n"),
    );
    const resolver = new FleetResolver(config);
    const boot = (arch: number) => {
      const m = resolver.resolve({ mac: "52:54:00:00:00:01", ip: "10.0.0.100", arch });
      return `${m.dhcp.filename?.value} from ${m.dhcp.next_server?.value ?? "this server"}`;
    };
    assert.equal(boot(0), "bios/pxelinux.0 from this server");
    assert.equal(boot(7), "uefi/syslinux.efi from 10.0.0.2");
    assert.equal(boot(6), "uefi32/syslinux.efi from this server");
    assert.equal(boot(10), "uefi32/syslinux.efi from this server");
    assert.equal(boot(9), "bios/pxelinux.0 from this server", "9 is not 7: dhcpd's else");
  });

  it("a class for every PXE ROM inside a subnet (as Cobbler's dhcp.template writes it) is imported there, its arch chains per architecture", () => {
    const { config } = load(
      [
        "option system-arch code 93 = unsigned integer 16;",
        "subnet 192.168.1.0 netmask 255.255.255.0 {",
        "  range dynamic-bootp 192.168.1.100 192.168.1.254;",
        "  next-server 192.168.1.5;",
        '  class "pxeclients" {',
        '    match if substring (option vendor-class-identifier, 0, 9) = "PXEClient";',
        "    if option system-arch = 00:00 {",
        '      filename "grub/grub.0";',
        "    }",
        "    if option system-arch = 00:07 {",
        '      filename "grub/grubx64.efi";',
        "    } else if option system-arch = 00:0b {",
        '      filename "grub/grubaa64.efi";',
        "    } else {",
        '      filename "pxelinux.0";',
        "    }",
        "  }",
        "}",
      ].join("\n"),
    );
    const resolver = new FleetResolver(config);
    const file = (arch: number) =>
      resolver.resolve({ mac: "52:54:00:00:00:01", ip: "192.168.1.100", arch }).dhcp.filename?.value;
    // dhcpd runs both chains in order: for BIOS the second one's else comes last and wins.
    assert.equal(file(0), "pxelinux.0");
    assert.equal(file(7), "grub/grubx64.efi");
    assert.equal(file(11), "grub/grubaa64.efi");
    assert.equal(file(6), "pxelinux.0");
  });

  it("a class that sets what its members boot, matching anything but PXEClient, is refused at its line", () => {
    assert.throws(
      () =>
        load(
          'class "old" {\n  match if substring (option vendor-class-identifier, 0, 9) = "Etherboot";\n  filename "eb.zpxe";\n}\n',
        ),
      (e: unknown) =>
        e instanceof ImportError &&
        e.problems.some((p) => p.at.line === 3 && /class "old" sets what its members boot/.test(p.message)),
    );
  });

  it("a branch on a condition bootfleet cannot decide is refused at its line, not flattened", () => {
    assert.throws(
      () =>
        load(
          [
            "option arch code 93 = unsigned integer 16;",
            'if option host-name = "lab1" {',
            '  filename "lab1.0";',
            "} elsif option arch = 00:07 {",
            '  filename "efi.0";',
            "}",
          ].join("\n"),
        ),
      (e: unknown) =>
        e instanceof ImportError &&
        e.problems.some(
          (p) => p.at.line === 2 && /cannot tell which clients this branch is for/.test(p.message),
        ),
    );
  });

  it("a chain that only hands out iPXE binaries and scripts maps to nothing: bootfleet does it", () => {
    const { config, yaml } = load(
      'if exists user-class and option user-class = "iPXE" {\n  filename "http://10.0.0.1/x.ipxe";\n} else {\n  filename "undionly.kpxe";\n}\n',
    );
    assert.equal(config.defaults.dhcp?.filename, undefined);
    assert.match(yaml, /mapped by design: this is the chain bootfleet builds itself/);
  });

  it("pools inside a subnet, a subnet mask that differs from the subnet's, overlapping ranges merged", () => {
    const { config, yaml } = load(
      [
        "subnet 10.0.0.0 netmask 255.255.254.0 {",
        "  option subnet-mask 255.255.255.0;",
        "  option broadcast-address 10.0.1.255;",
        '  pool { range 10.0.0.50 10.0.0.80; allow members of "pxe"; }',
        "  range 10.0.0.70 10.0.0.90;",
        "}",
      ].join("\n"),
    );
    const net = config.networks[0]!;
    assert.equal(net.subnet.text, "10.0.0.0/23");
    assert.deepEqual(
      net.pool?.map((p) => `${p.start}-${p.end}`),
      ["10.0.0.50-10.0.0.90"],
    );
    assert.equal(net.dhcp?.options?.["1"], "0xffffff00");
    assert.equal(net.dhcp?.options?.["28"], undefined);
    assert.match(
      yaml,
      /mapped by design: bootfleet sends 10\.0\.1\.255 from the network's subnet 10\.0\.0\.0\/23/,
    );
    assert.match(
      yaml,
      /not mapped: bootfleet has one pool per network[^\n]*\n\s*#\s*\| allow members of "pxe";/,
    );
  });

  it("keywords a plain object answers (constructor, __proto__, toString) are unknown statements, kept with their own name", () => {
    const { yaml } = load(["constructor;", "__proto__ x;", "toString { }", "local-port 1067;"].join("\n"));
    assert.match(yaml, /dhcpd\.conf:1: not mapped: bootfleet has no equivalent of 'constructor'/);
    assert.match(yaml, /dhcpd\.conf:2: not mapped: bootfleet has no equivalent of '__proto__'/);
    assert.match(yaml, /dhcpd\.conf:3: not mapped: bootfleet has no 'toString' block/);
    assert.doesNotMatch(yaml, /function|native code/);
    // The reason says the need, not where it was first seen.
    assert.match(
      yaml,
      /dhcpd\.conf:4: not mapped: set services\.dhcp\.port \(Etherboot ROMs built with DPORT=1067 ask on port 1067, beside the site's DHCP server\)/,
    );
    assert.doesNotMatch(yaml, /seed/);
  });

  it("a global subnet-mask that is no address is an error at its column, not an exception at the end of the file", () => {
    let error: unknown;
    try {
      importConfig([{ file: "dhcpd.conf", text: "option subnet-mask 255.255.x.0;\n" }], {
        serverAddress: "10.0.0.1",
      });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ImportError, String(error));
    assert.deepEqual(
      error.problems.map((p) => `${p.at.line}:${p.at.column} ${p.message}`),
      ["1:20 option subnet-mask: '255.255.x.0' is not an IPv4 address"],
    );
  });

  it("a shared-network's comments go with its first subnet, once", () => {
    const comment = "# the lab's two subnets share one wire";
    const subnets = Array.from({ length: 50 }, (_, i) => `  subnet 10.0.${i}.0 netmask 255.255.255.0 { }`);
    const { config, yaml } = load(
      [comment, "shared-network lab {", '  option domain-name "lab.example";', ...subnets, "}"].join("\n"),
    );
    assert.equal(yaml.split(comment.slice(2)).length - 1, 1);
    assert.match(
      yaml,
      /dhcpd\.conf:2: in shared-network lab, with 10\.0\.0\.0\/24 \(its comments are there\)/,
    );
    assert.ok(config.networks.every((n) => n.dhcp?.domain === "lab.example"));
  });

  it("a range outside its subnet is an error at its column (dhcpd refuses it too)", () => {
    let error: unknown;
    try {
      importConfig(
        [
          {
            file: "dhcpd.conf",
            text: "subnet 10.0.0.0 netmask 255.255.255.0 {\n  range 10.0.1.10 10.0.1.20;\n}\n",
          },
        ],
        { serverAddress: "10.0.0.1" },
      );
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ImportError, String(error));
    assert.deepEqual(
      error.problems.map((p) => `${p.at.line}:${p.at.column} ${p.message}`),
      ["2:9 range: 10.0.1.10 is not in subnet 10.0.0.0/24"],
    );
  });
});
