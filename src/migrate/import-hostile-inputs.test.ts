/**
 * Inputs that once made an import hang, exhaust the heap or the stack, or
 * take minutes: Unicode whitespace inside dhcpd.conf statements, 200 KB of
 * random bytes, 25,000 hosts, deep nesting, and single lines built to make
 * a backtracking pattern or a per-item scan quadratic. Each must import or
 * be refused with located errors, in time and memory linear in its size.
 * The ones that looped run in a process of their own with a small heap
 * (test/fixtures/migrate/bounded-import.ts), so that a regression fails
 * the test instead of eating the machine's memory.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isMap, isSeq, type YAMLMap } from "yaml";
import type { BoundedRequest, BoundedResult } from "../../test/fixtures/migrate/bounded-import.js";
import { loadConfigFromString } from "../config/load-config.js";
import { formatIpv4, parseIpv4 } from "../config/net-address.js";
import type { FleetConfig } from "../config/model.js";
import type { ImportFormat } from "./detect-format.js";
import { importConfig } from "./import-config.js";
import { formatImportProblem, ImportError } from "./import-problem.js";
import { NESTING_LIMIT } from "./nesting-limit.js";

const ROOT = join(import.meta.dirname, "../..");
const HARNESS = join(ROOT, "test/fixtures/migrate/bounded-import.ts");
/** The harness's heap: far above what these inputs need (tens of MiB), far below what a runaway takes. */
const CHILD_HEAP_MB = 256;
const MiB = 1024 * 1024;

function inChild(request: BoundedRequest): BoundedResult {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", `--max-old-space-size=${CHILD_HEAP_MB}`, HARNESS],
    { cwd: ROOT, input: JSON.stringify(request), encoding: "utf8", maxBuffer: 256 * MiB },
  );
  assert.equal(
    r.status,
    0,
    `the import process ended with ${r.signal ?? `status ${r.status}`}: ${r.stderr.slice(-1500)}`,
  );
  return JSON.parse(r.stdout) as BoundedResult;
}

function load(yaml: string): FleetConfig {
  return loadConfigFromString(yaml, join(ROOT, "imported.yaml"));
}

/** The errors of an import that must be refused, as `bootfleet import` prints them. */
function refusal(inputs: { file: string; text: string; format?: ImportFormat }[]): string[] {
  try {
    importConfig(inputs, { serverAddress: "10.0.0.1" });
  } catch (e) {
    assert.ok(e instanceof ImportError, String(e));
    return e.problems.map(formatImportProblem);
  }
  assert.fail("imported without errors");
}

/** Deterministic bytes, so that a failure can be replayed. */
function pseudoRandomBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe("Unicode whitespace inside dhcpd.conf statements", () => {
  it("a no-break space (U+00A0) between words is a space, with one located warning", () => {
    const text = [
      "subnet 10.0.0.0 netmask 255.255.255.0 {",
      "  range 10.0.0.100 10.0.0.150;",
      "  option\u00a0routers 10.0.0.1;",
      "}",
      "host pc1 {\u00a0hardware ethernet 52:54:00:12:34:56;\u00a0fixed-address 10.0.0.5; }",
    ].join("\n");
    const r = inChild({
      kind: "import",
      inputs: [{ file: "dhcpd.conf", text }],
      options: { serverAddress: "10.0.0.1" },
    });
    assert.equal(r.outcome, "imported", r.problems.join("\n"));
    assert.ok(
      r.problems.includes(
        "dhcpd.conf:3:9: warning: U+00A0 (no-break space) read as a space (3 whitespace characters other than ASCII's in this file)\n  hint: the daemon that reads this file may take it for part of a word; replace it with a plain space",
      ),
      r.problems.join("\n"),
    );
    const config = load(r.yaml!);
    assert.deepEqual(config.networks[0]?.dhcp?.routers, ["10.0.0.1"]);
    const pc1 = config.hosts.find((h) => h.name === "pc1");
    assert.equal(pc1?.mac, "52:54:00:12:34:56");
    assert.equal(pc1?.ip, "10.0.0.5");
  });

  it("a line separator (U+2028) inside a statement is a space, not a line", () => {
    const text = [
      "next-server\u2028 10.0.0.11;",
      'filename "pxelinux.0";\u2028',
      "host pc2 { hardware\u2028ethernet 52:54:00:12:34:57; }",
      "not-a-keyword\u2029here;",
    ].join("\n");
    const r = inChild({ kind: "import", inputs: [{ file: "dhcpd.conf", text }], options: {} });
    assert.equal(r.outcome, "imported", r.problems.join("\n"));
    assert.match(
      r.problems.join("\n"),
      /^dhcpd\.conf:1:12: warning: U\+2028 \(line separator\) read as a space \(4 whitespace characters other than ASCII's in this file\)/m,
    );
    const config = load(r.yaml!);
    assert.equal(config.server.address, "10.0.0.11");
    assert.equal(config.hosts.find((h) => h.name === "pc2")?.mac, "52:54:00:12:34:57");
    // The unmapped statement is kept where it was written: line 4, as dhcpd counts lines.
    assert.match(r.yaml!, /# dhcpd\.conf:4: not mapped: bootfleet has no equivalent of 'not-a-keyword'/);
  });
});

describe("200 KB of random bytes", () => {
  const bytes = pseudoRandomBytes(200 * 1024, 15);
  const text = bytes.toString("utf8");

  it("named dhcpd.conf: refused at its first control character, in bounded memory", () => {
    const r = inChild({
      kind: "import",
      inputs: [{ file: "dhcpd.conf", text }],
      options: { serverAddress: "10.0.0.1" },
    });
    assert.equal(r.outcome, "refused");
    assert.equal(r.problems.length, 1, r.problems.join("\n"));
    assert.match(
      r.problems[0]!,
      /^dhcpd\.conf:\d+:\d+: error: binary data \(byte 0x[0-9a-f]{2}\): this is not a text file/,
    );
    assert.ok(r.heapUsed < 100 * MiB, `heap ${(r.heapUsed / MiB).toFixed(0)} MiB`);
  });

  it("the dhcpd.conf tokenizer reads them in one pass: at most one token per character", () => {
    const r = inChild({ kind: "tokenize-dhcpd", text });
    assert.ok(r.tokens! > 0 && r.tokens! <= text.length, `${r.tokens} tokens for ${text.length} characters`);
    assert.ok(r.heapUsed < 200 * MiB, `heap ${(r.heapUsed / MiB).toFixed(0)} MiB`);
  });

  it("as text (random characters, Unicode whitespace among them): every format imports or refuses, in bounded memory", () => {
    // The same bytes as code points, without the control characters that make a file binary.
    const chars: string[] = [];
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      const c = ((bytes[i]! << 8) | bytes[i + 1]!) % 0x3100;
      chars.push(c < 0x20 ? ' \n\t{};#"=,[]\u00a0\u2028\u2029\u3000'[c % 16]! : String.fromCharCode(c));
    }
    const randomText = chars.join("");
    for (const format of [undefined, "dhcpd", "lts", "ltsp", "dnsmasq", "pxelinux"] as const) {
      const r = inChild({
        kind: "import",
        inputs: [{ file: "random.conf", text: randomText, format }],
        options: { partial: true, serverAddress: "10.0.0.1" },
      });
      assert.ok(r.outcome === "imported" || r.outcome === "refused", `${format}: ${r.outcome}`);
      assert.ok(r.heapUsed < 200 * MiB, `${format}: heap ${(r.heapUsed / MiB).toFixed(0)} MiB`);
    }
  });
});

describe("25,000 hosts", () => {
  it("in one group, with fixed addresses inside the range and a comment each, import in one pass", (t) => {
    const n = 25_000;
    const lines = [
      "subnet 10.0.0.0 netmask 255.255.0.0 {",
      "  range 10.0.0.10 10.0.255.250;",
      "  option routers 10.0.0.1;",
      "}",
      "group {",
      '  filename "pxelinux.0";',
      "  next-server 10.0.0.1;",
    ];
    // Every other address from 10.0.1.0, so that each is cut out of the range on its own.
    const first = parseIpv4("10.0.1.0")!;
    for (let i = 0; i < n; i++) {
      const mac = `52:54:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
      lines.push(
        `  host pc${i} { hardware ethernet ${mac}; fixed-address ${formatIpv4(first + 2 * i)}; } # desk ${i}`,
      );
    }
    lines.push("}");
    const started = performance.now();
    const r = importConfig([{ file: "dhcpd.conf", text: lines.join("\n") }], {});
    t.diagnostic(`${n} hosts imported in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const hosts = r.document.get("hosts") as YAMLMap;
    assert.ok(isMap(hosts));
    assert.equal(hosts.items.length, n);
    const group = r.document.getIn(["groups", "group-1", "match", "hosts"]);
    assert.ok(isSeq(group));
    assert.equal(group.items.length, n);
    // Every fixed address is cut out of the pool: n + 1 pieces around n addresses.
    const pool = r.document.getIn(["networks", 0, "pool"]);
    assert.ok(isSeq(pool));
    assert.equal(pool.items.length, n + 1);
    assert.match(
      r.yaml,
      /# dhcpd\.conf:25007: host pc24999 # desk 24999\n {2}pc24999:\n {4}mac: "52:54:00:00:61:a7"\n {4}ip: 10\.0\.196\.78\n/,
    );
  });

  it("declared under one name, as generated files do, each get a name of their own in one pass", () => {
    // dhcpd refuses a name declared twice; the import renames each and says so. Finding the k-th free
    // name by trying every suffix, each try a walk over the hosts, was cubic in the number of hosts.
    const n = 25_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const mac = `52:54:00:01:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
      lines.push(`host client { hardware ethernet ${mac}; }`);
    }
    const r = importConfig([{ file: "dhcpd.conf", text: lines.join("\n") }], { serverAddress: "10.0.0.1" });
    const hosts = r.document.get("hosts") as YAMLMap;
    assert.equal(hosts.items.length, n);
    assert.equal(r.problems.filter((p) => /is declared twice/.test(p.message)).length, n - 1);
    assert.match(r.yaml, /^ {2}client-25000:\n {4}mac: "52:54:00:01:61:a7"$/m);
  });

  it("10,000 groups under one name get a name each, not one growing by the file's name", () => {
    const text = Array.from(
      { length: 10_000 },
      (_, i) =>
        `group lab { host pc${i} { hardware ethernet 52:54:00:02:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}; } }`,
    ).join("\n");
    const r = inChild({
      kind: "import",
      inputs: [{ file: "dhcpd.conf", text }],
      options: { serverAddress: "10.0.0.1" },
    });
    assert.equal(r.outcome, "imported", r.problems.join("\n"));
    assert.match(r.yaml!, /^ {2}lab-dhcpd\.conf-9999:$/m);
    assert.ok(r.heapUsed < 200 * MiB, `heap ${(r.heapUsed / MiB).toFixed(0)} MiB`);
  });
});

describe("nesting deeper than the limit", () => {
  it("dhcpd.conf: the '{' that goes past it is an error at its line and column, without recursing into it", () => {
    const depth = 100;
    const text = `${"group {\n".repeat(depth)}host a { hardware ethernet 52:54:00:12:34:56; }\n${"}\n".repeat(depth)}`;
    const errors = refusal([{ file: "dhcpd.conf", text }]);
    assert.deepEqual(errors, [
      `dhcpd.conf:${NESTING_LIMIT + 1}:7: error: blocks nested more than ${NESTING_LIMIT} deep\n  hint: dhcpd.conf nests a few levels (a host in a group in a subnet); this block and what it holds are not read`,
    ]);
  });

  it("dhcpd.conf: 100,000 '{' give located errors, not a stack overflow", () => {
    const errors = refusal([{ file: "dhcpd.conf", text: "{".repeat(100_000) }]);
    assert.ok(
      errors.includes(
        `dhcpd.conf:1:${NESTING_LIMIT + 1}: error: blocks nested more than ${NESTING_LIMIT} deep\n  hint: dhcpd.conf nests a few levels (a host in a group in a subnet); this block and what it holds are not read`,
      ),
      errors.slice(0, 3).join("\n"),
    );
  });

  it("dhcpd.conf: an if chain of more than the limit's branches is kept as a comment, with a located warning", () => {
    const branches = Array.from(
      { length: 100 },
      (_, i) => `elsif option user-class = "c${i}" { filename "f${i}.0"; }`,
    );
    const text = `if option user-class = "iPXE" { filename "x.0"; }\n${branches.join("\n")}\n`;
    const r = importConfig([{ file: "dhcpd.conf", text }], { serverAddress: "10.0.0.1" });
    assert.deepEqual(r.problems.map(formatImportProblem), [
      `dhcpd.conf:1:1: warning: an if chain of more than ${NESTING_LIMIT} branches is not read\n  hint: set dhcp.filename on the group or host each branch is for`,
    ]);
    assert.match(
      r.yaml,
      new RegExp(`not mapped: bootfleet reads if chains of up to ${NESTING_LIMIT} branches`),
    );
  });

  it("lts.conf: a LIKE chain longer than the limit is an error at the LIKE that goes past it", () => {
    const sections = Array.from({ length: 100 }, (_, i) => `[s${i}]\nLIKE = s${i + 1}\nX${i} = ${i}`);
    const text = `${sections.join("\n")}\n[s100]\nLAST = 1\n`;
    const errors = refusal([{ file: "lts.conf", text }]);
    // [s1] is the first section included; its chain reaches the limit at [s64], whose LIKE is on line 3 * 64 + 2.
    assert.deepEqual(errors, [
      `lts.conf:${3 * NESTING_LIMIT + 2}:8: error: LIKE chain deeper than ${NESTING_LIMIT} sections, from [s1] to [s${NESTING_LIMIT + 1}]\n  hint: bootfleet follows LIKE and INCLUDE ${NESTING_LIMIT} sections deep; include the settings directly`,
    ]);
  });

  it("lts.conf: a LIKE chain of 20,000 sections gives located errors, not a stack overflow", () => {
    const n = 20_000;
    const sections = Array.from({ length: n }, (_, i) => `[s${i}]\nLIKE = s${i + 1}`);
    const errors = refusal([{ file: "lts.conf", text: `${sections.join("\n")}\n[s${n}]\n` }]);
    assert.ok(
      errors.length > 0 && errors.every((e) => /^lts\.conf:\d+:8: error: LIKE chain deeper than/.test(e)),
    );
  });
});

describe("lines built to make a pattern backtrack or a scan repeat", () => {
  // Long enough that a quadratic pass takes many minutes; a linear one reads it in a blink.
  const long = 1_000_000;
  const cases: { name: string; file: string; text: string; format?: ImportFormat }[] = [
    {
      name: "a dhcpd host name that is a long run of dashes",
      file: "dhcpd.conf",
      text: `host a${"-".repeat(long)}b { }\n`,
    },
    {
      name: "a dhcpd statement kept as a comment, with a long run of blanks inside",
      file: "dhcpd.conf",
      text: `ddns-update-style${" ".repeat(long)}none;\n`,
    },
    {
      name: "a boot file without '/' in a dhcpd if chain",
      file: "dhcpd.conf",
      text: `if option user-class = "iPXE" { filename "${"x".repeat(long)}"; }\n`,
    },
    {
      name: "a line of ';#' with no end, to detect",
      file: "boot.conf",
      text: `host ${";#".repeat(long)}\u2028x\n`,
    },
    {
      name: "an lts.conf section name of dashes",
      file: "lts.conf",
      text: `[a${"-".repeat(long)}b]\nX = 1\n`,
    },
    {
      name: "a pxelinux DEFAULT kernel without '/'",
      file: "pxelinux.cfg/default",
      text: `DEFAULT ${"k".repeat(long)}\n`,
    },
    {
      name: "a pxelinux nfsroot of slashes",
      file: "pxelinux.cfg/default",
      text: `DEFAULT vmlinuz nfsroot=10.0.0.1:/a${"/".repeat(long)}b\n`,
    },
    {
      name: "a pxelinux line joining many directives",
      file: "pxelinux.cfg/default",
      text: `DEFAULT vmlinuz${" APPEND x".repeat(50_000)}\n`,
    },
    {
      name: "a dnsmasq boot file without '/'",
      file: "dnsmasq.conf",
      text: `dhcp-boot=${"x".repeat(long)}\n`,
    },
  ];
  for (const c of cases)
    it(`${c.name}: imports or is refused, in one pass`, () => {
      try {
        importConfig([c], { serverAddress: "10.0.0.1", partial: true });
      } catch (e) {
        assert.ok(e instanceof ImportError, String(e));
      }
    });
});
