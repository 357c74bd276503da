/**
 * `bootfleet import` as a user runs it: a refused import writes nothing and
 * exits 1, to a file or to standard output, and says which format each
 * input was read as and how to choose another; a dnsmasq file named like
 * LTSP's ltsp.conf (as LTSP installs it in /etc/dnsmasq.d) is read as
 * dnsmasq.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { bootfleet } from "../support/import-corpus.js";

const dir = mkdtempSync(join(tmpdir(), "bf-import-cmd-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("bootfleet import", () => {
  const dnsmasqDir = join(dir, "dnsmasq.d");
  mkdirSync(dnsmasqDir);
  const ltspConf = join(dnsmasqDir, "ltsp.conf");
  writeFileSync(
    ltspConf,
    "port=0\nenable-tftp\ndhcp-range=192.168.67.20,192.168.67.250,12h\ndhcp-boot=ltsp/undionly.kpxe\ndhcp-boot=bad,,not-an-address\n",
  );

  it("a refused import writes nothing, exits 1, and says the format it assumed and how to choose another", () => {
    const out = join(dir, "refused.yaml");
    const r = bootfleet(["import", ltspConf, "--server-address", "192.168.67.1", "-o", out]);
    assert.equal(r.code, 1, r.err);
    assert.equal(existsSync(out), false);
    assert.match(r.err, /ltsp\.conf:5:\d+: error: dhcp-boot: 'not-an-address' is not an IPv4 address/);
    assert.match(r.err, /nothing was written/);
    assert.match(
      r.err,
      /read \S+ltsp\.conf as dnsmasq \(by its name\); if it is another format, pass --format dhcpd\|lts\|ltsp\|pxelinux/,
    );
  });

  it("to standard output the same refusal prints no config and exits 1", () => {
    const r = bootfleet(["import", ltspConf, "--server-address", "192.168.67.1"]);
    assert.equal(r.code, 1, r.err);
    assert.equal(r.out, "");
  });

  it("a dnsmasq file called ltsp.conf outside dnsmasq.d is read as dnsmasq by its content", () => {
    const elsewhere = join(dir, "ltsp.conf");
    writeFileSync(elsewhere, "port=0\nenable-tftp\ndhcp-range=192.168.67.20,192.168.67.250,12h\n");
    const out = join(dir, "ok.yaml");
    const r = bootfleet(["import", elsewhere, "--server-address", "192.168.67.1", "-o", out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /wrote \S+ok\.yaml from \S+ltsp\.conf \(dnsmasq\); it passes bootfleet check/);
    assert.equal(existsSync(out), true);
  });
});
