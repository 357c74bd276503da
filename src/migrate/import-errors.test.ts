/**
 * Malformed inputs give file:line:column errors with a hint, and the import
 * refuses them unless --partial (then each error is a comment in the
 * config, which still passes check).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadConfigFromString } from "../config/load-config.js";
import { parseDhcpdConf } from "./dhcpd/dhcpd-conf-parser.js";
import { importConfig } from "./import-config.js";
import { formatImportProblem, ImportError, type ImportProblem } from "./import-problem.js";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/migrate");

function errorsOf(file: string, text: string): string[] {
  try {
    importConfig([{ file, text }], { serverAddress: "10.0.0.1" });
  } catch (e) {
    assert.ok(e instanceof ImportError, String(e));
    return e.problems.map(formatImportProblem);
  }
  assert.fail(`${file} imported without errors`);
}

function at(p: ImportProblem): string {
  return `${p.at.file}:${p.at.line}:${p.at.column}`;
}

describe("dhcpd.conf errors", () => {
  it("a missing ';' is reported after the last word of its line (the most common dhcpd.conf mistake)", () => {
    const text = [
      "default-lease-time 28800",
      "max-lease-time 86400;",
      "host a {",
      "  hardware ethernet 52:54:00:12:34:56",
      "  fixed-address 10.0.0.5;",
      "}",
    ].join("\n");
    const errors = errorsOf("dhcpd.conf", text);
    assert.deepEqual(errors, [
      "dhcpd.conf:1:25: error: missing ';' after '28800'\n  hint: every dhcpd.conf statement ends with ';' (a forgotten ';' at the end of a line is the most common mistake)",
      "dhcpd.conf:4:38: error: missing ';' after '52:54:00:12:34:56'\n  hint: every dhcpd.conf statement ends with ';' (a forgotten ';' at the end of a line is the most common mistake)",
    ]);
  });

  it("a missing ';' before '}' is reported too", () => {
    const errors = errorsOf(
      "d.conf",
      "subnet 10.0.0.0 netmask 255.255.255.0 {\n  range 10.0.0.10 10.0.0.20\n}\n",
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^d\.conf:2:28: error: missing ';' after '10\.0\.0\.20'/);
  });

  it("an unclosed '{' is reported where it opens", () => {
    const errors = errorsOf("d.conf", "group {\n  host a {\n    hardware ethernet 52:54:00:12:34:56;\n  }\n");
    assert.deepEqual(errors, [
      "d.conf:1:7: error: unbalanced braces: the '{' of 'group' is never closed\n  hint: add the missing '}' where the block ends",
    ]);
  });

  it("a '}' too many is reported where it is", () => {
    const errors = errorsOf("d.conf", "host a {\n  hardware ethernet 52:54:00:12:34:56;\n}\n}\n");
    assert.deepEqual(errors, [
      "d.conf:4:1: error: unbalanced braces: '}' closes no open block\n  hint: remove it, or add the '{' it was meant to close",
    ]);
  });

  it("a declaration that cannot nest names the block whose '}' is missing", () => {
    const errors = errorsOf(
      "d.conf",
      "host a {\n  hardware ethernet 52:54:00:12:34:56;\nhost b {\n  hardware ethernet 52:54:00:12:34:57;\n}\n",
    );
    assert.match(
      errors[0]!,
      /^d\.conf:3:1: error: missing '}' before 'host': the block of 'host a' at line 1 is not closed/,
    );
    assert.match(errors[0]!, /hint: a host cannot hold 'host'/);
  });

  it("a bad MAC is reported at the MAC with what is wrong", () => {
    const errors = errorsOf("d.conf", "host a {\n  hardware ethernet 52:54:00:12:34;\n}\n");
    assert.deepEqual(errors, [
      "d.conf:2:21: error: '52:54:00:12:34' is not a MAC address: it has 5 octets; a MAC has 6\n  hint: write it as six hex octets, e.g. 00:c0:4f:ad:5c:bc",
    ]);
    const errors2 = errorsOf("d.conf", "host a { hardware ethernet 52:54:00:12:34:zz; }\n");
    assert.match(
      errors2[0]!,
      /^d\.conf:1:28: error: '52:54:00:12:34:zz' is not a MAC address: 'zz' is not a hex octet/,
    );
  });

  it("an unterminated string, a bad range and a bad netmask", () => {
    const errors = errorsOf(
      "d.conf",
      'filename "pxelinux.0;\nsubnet 10.0.0.0 netmask 255.0.255.0 {\n  range 10.0.0.10 10.0.0.300;\n}\n',
    );
    assert.match(errors.join("\n"), /d\.conf:1:10: error: unterminated string/);
    assert.match(errors.join("\n"), /d\.conf:2:25: error: '255\.0\.255\.0' is not a netmask/);
    assert.match(errors.join("\n"), /d\.conf:3:19: error: range: '10\.0\.0\.300' is not an IPv4 address/);
  });

  it("option values are checked against the option's type", () => {
    const errors = errorsOf("d.conf", "option interface-mtu 99999;\noption routers;\n");
    assert.match(errors[0]!, /^d\.conf:1:22: error: option interface-mtu: 99999 is outside 0\.\.65535/);
    assert.match(errors[1]!, /^d\.conf:2:15: error: option routers has no value/);
  });

  it("001-dhcpd.conf (values stripped, braces lost) is refused with every error located", () => {
    const file = join(FIXTURES, "001-dhcpd.conf");
    const parsed = parseDhcpdConf(readFileSync(file, "utf8"), "001-dhcpd.conf");
    const located = parsed.problems.map((p) => `${at(p)} ${p.message}`);
    assert.ok(
      located.includes(
        "001-dhcpd.conf:37:3 missing '}' before 'else': the block of 'if substring ( ...' at line 35 is not closed",
      ),
      located.join("\n"),
    );
    assert.ok(
      located.includes(
        "001-dhcpd.conf:49:5 missing '}' before 'group': the block of 'host desktop' at line 47 is not closed",
      ),
    );
    assert.ok(
      located.includes(
        "001-dhcpd.conf:31:28 unbalanced braces: the '{' of 'shared-network LTSPCLIENTS' is never closed",
      ),
    );
    const errors = errorsOf("001-dhcpd.conf", readFileSync(file, "utf8"));
    assert.ok(errors.some((e) => e.startsWith("001-dhcpd.conf:12:15: error: option routers has no value")));
    assert.ok(errors.some((e) => e.startsWith("001-dhcpd.conf:16:12: error: next-server has no value")));
  });

  it("--partial writes the config anyway, every error in its header, and it passes check", () => {
    const text =
      "host a {\n  hardware ethernet 52:54:00:12:34:56\n  fixed-address 10.0.0.5;\n}\nhost b {\n  hardware ethernet 52:54:00:12:34;\n}\n";
    const r = importConfig([{ file: "d.conf", text }], { partial: true, serverAddress: "10.0.0.1" });
    assert.match(r.yaml, /PARTIAL IMPORT: the inputs have 2 error\(s\)/);
    assert.match(r.yaml, /d\.conf:2:38: error: missing ';'/);
    assert.match(r.yaml, /d\.conf:6:21: error: '52:54:00:12:34' is not a MAC address/);
    const config = loadConfigFromString(r.yaml, "/tmp/partial.yaml");
    assert.deepEqual(
      config.hosts.map((h) => [h.name, h.mac, h.ip]),
      [
        ["a", "52:54:00:12:34:56", "10.0.0.5"],
        ["b", undefined, undefined],
      ],
    );
  });
});

describe("lts.conf, dnsmasq and pxelinux errors", () => {
  it("lts.conf: an unclosed section and a line that is not KEY = value", () => {
    const errors = errorsOf("lts.conf", "[Default\nSERVER = 10.0.0.1\n[ws1]\n  just words\n");
    assert.deepEqual(errors, [
      "lts.conf:1:1: error: section header without ']'\n  hint: write it as [NAME], e.g. [Default] or [00:11:22:33:44:55]",
      "lts.conf:4:3: error: expected KEY = value or [SECTION], found 'just words'\n  hint: every setting is one line: NAME = value",
    ]);
  });

  it("ltsp.conf: an unterminated quote", () => {
    const errors = errorsOf("ltsp.conf", '[clients]\nX_MODE_0 = "1024x768\n');
    assert.deepEqual(errors, [
      'ltsp.conf:2:12: error: unterminated double-quoted value\n  hint: close it with "',
    ]);
  });

  it("dnsmasq: a bad MAC in dhcp-host, a bad address in dhcp-range", () => {
    const errors = errorsOf(
      "dnsmasq.conf",
      "dhcp-range=10.0.0.10,10.0.0.400,12h\ndhcp-host=52:54:00:12:34,10.0.0.5,pc1\n",
    );
    assert.ok(
      errors.some((e) =>
        e.startsWith(
          "dnsmasq.conf:2:11: error: dhcp-host: '52:54:00:12:34' is not a MAC address: it has 5 octets",
        ),
      ),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) =>
        e.startsWith("dnsmasq.conf:1:22: error: dhcp-range: '10.0.0.400' is not an IPv4 address"),
      ),
      errors.join("\n"),
    );
  });

  it("pxelinux: LABEL without a name", () => {
    const errors = errorsOf("pxelinux.cfg/default", "DEFAULT x\nLABEL\n  KERNEL vmlinuz\n");
    assert.deepEqual(errors, [
      "pxelinux.cfg/default:2:1: error: LABEL without a name\n  hint: write it as LABEL NAME",
    ]);
  });

  it("no server address anywhere is an error naming --server-address", () => {
    try {
      importConfig([{ file: "lts.conf", text: "[Default]\nX = 1\n" }]);
      assert.fail("imported");
    } catch (e) {
      assert.ok(e instanceof ImportError);
      assert.match(
        e.message,
        /lts\.conf:1:1: error: no input names the address clients reach this server at/,
      );
      assert.match(e.message, /--server-address/);
    }
  });

  it("a file of unknown kind", () => {
    try {
      importConfig([{ file: "notes.txt", text: "hello there\n" }], { serverAddress: "10.0.0.1" });
      assert.fail("imported");
    } catch (e) {
      assert.ok(e instanceof ImportError);
      assert.match(
        e.message,
        /notes\.txt:1:1: error: cannot tell what kind of file this is\n {2}hint: .*--format/,
      );
    }
  });
});
