/**
 * How an import input's format is told: by its name, else by what its
 * lines say, in one pass over them whatever they hold.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { detectFormat } from "./detect-format.js";

describe("format detection", () => {
  it("by name", () => {
    assert.equal(detectFormat("/etc/dhcp/dhcpd.conf", ""), "dhcpd");
    assert.equal(detectFormat("/etc/dnsmasq.d/ltsp.conf.dnsmasq", ""), "dnsmasq");
    assert.equal(detectFormat("/opt/ltsp/i386/etc/lts.conf", ""), "lts");
    assert.equal(detectFormat("/etc/ltsp/ltsp.conf", ""), "ltsp");
    assert.equal(detectFormat("/srv/tftp/pxelinux.cfg/01-52-54-00-12-34-56", ""), "pxelinux");
  });

  it("by content when the lines clearly say another format than the name", () => {
    // LTSP's dnsmasq settings, installed as /etc/dnsmasq.d/ltsp.conf.
    const ltspDnsmasq = "port=0\nenable-tftp\ndhcp-range=192.168.67.20,192.168.67.250,12h\n";
    assert.equal(detectFormat("/etc/dnsmasq.d/ltsp.conf", ltspDnsmasq), "dnsmasq");
    assert.equal(detectFormat("/tmp/ltsp.conf", ltspDnsmasq), "dnsmasq");
    assert.equal(detectFormat("/tmp/ltsp.conf", "[clients]\nINCLUDE=x\n"), "ltsp");
    assert.equal(
      detectFormat("/tmp/lts.conf", "[clients]\nINCLUDE=x\n"),
      "lts",
      "the name tells lts from ltsp",
    );
    assert.equal(
      detectFormat("/etc/dhcp/dhcpd.conf", "subnet 10.0.0.0 netmask 255.255.255.0 {\n}\n"),
      "dhcpd",
    );
  });

  it("by content", () => {
    assert.equal(
      detectFormat("a.conf", "subnet 10.0.0.0 netmask 255.255.255.0 {\n range 10.0.0.5 10.0.0.9;\n}\n"),
      "dhcpd",
    );
    assert.equal(detectFormat("a.conf", "dhcp-range=10.0.0.5,10.0.0.9\nenable-tftp\n"), "dnsmasq");
    assert.equal(detectFormat("a.conf", "[Default]\nSERVER = 10.0.0.1\n"), "lts");
    assert.equal(detectFormat("a.conf", "[clients]\nINCLUDE=x\n"), "ltsp");
    assert.equal(detectFormat("default", "DEFAULT linux\nLABEL linux\n KERNEL vmlinuz\n"), "pxelinux");
    assert.equal(detectFormat("a.txt", "hello\n"), null);
  });

  it("lines that once made the content patterns backtrack are scored in one pass", () => {
    const long = 100_000;
    // ';' and '#' alternating, then a character '.' does not match: every ';' was a new try at /;\s*(#.*)?$/.
    assert.equal(detectFormat("a.conf", `host x ${";#".repeat(long)}\u2028y\n`), "dhcpd");
    assert.equal(detectFormat("a.conf", `${"{ ".repeat(long)}x\n`), null);
    assert.equal(detectFormat("a.conf", `dhcp-range=${"a".repeat(long)}\n`), "dnsmasq");
  });

  it("Unicode whitespace around a line does not hide what it is", () => {
    assert.equal(detectFormat("a.conf", "\ufeff[Default]\u00a0\nSERVER = 10.0.0.1\n"), "lts");
    assert.equal(detectFormat("a.conf", "\u3000subnet 10.0.0.0 netmask 255.0.0.0 {\u2028\n}\n"), "dhcpd");
  });
});
