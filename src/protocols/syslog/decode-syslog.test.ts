import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeSyslog } from "./decode-syslog.js";
import { encodeRfc5424 } from "./encode-rfc5424.js";
import { SyslogParseError } from "./syslog-parse-error.js";
import { loggerCaptures, rfc3164Examples, rfc5424Examples } from "./syslog-test-messages.js";

const b = (s: string) => Buffer.from(s, "utf8");
const NOV_24_2026 = Date.UTC(2026, 10, 24, 18, 0, 0);

describe("RFC 5424", () => {
  it("6.5 example 1: NILVALUE SD, BOM", () => {
    assert.deepEqual(decodeSyslog(b(rfc5424Examples.ex1)), {
      format: "rfc5424",
      facility: 4,
      severity: 2,
      timestamp: Date.UTC(2003, 9, 11, 22, 14, 15, 3),
      hostname: "mymachine.example.com",
      app: "su",
      procid: null,
      msgid: "ID47",
      structuredData: [],
      message: "'su root' failed for lonvick on /dev/pts/8",
      bom: true,
    });
  });

  it("6.5 example 2: microseconds, offset -07:00", () => {
    const m = decodeSyslog(b(rfc5424Examples.ex2));
    assert.equal(m.timestamp, Date.UTC(2003, 7, 24, 12, 14, 15, 0));
    assert.equal(m.facility, 20);
    assert.equal(m.severity, 5);
    assert.equal(m.hostname, "192.0.2.1");
    assert.equal(m.app, "myproc");
    assert.equal(m.procid, "8710");
    assert.equal(m.msgid, null);
    assert.equal(m.bom, false);
    assert.equal(m.message, "%% It's time to make the do-nuts.");
  });

  it("6.5 examples 3 and 4: structured data", () => {
    const m3 = decodeSyslog(b(rfc5424Examples.ex3));
    assert.deepEqual(m3.structuredData, [
      {
        id: "exampleSDID@32473",
        params: [
          { name: "iut", value: "3" },
          { name: "eventSource", value: "Application" },
          { name: "eventID", value: "1011" },
        ],
      },
    ]);
    assert.equal(m3.message, "An application event log entry...");
    assert.equal(m3.bom, true);
    const m4 = decodeSyslog(b(rfc5424Examples.ex4));
    assert.deepEqual(
      m4.structuredData.map((e) => e.id),
      ["exampleSDID@32473", "examplePriority@32473"],
    );
    assert.deepEqual(m4.structuredData[1]?.params, [{ name: "class", value: "high" }]);
    assert.equal(m4.message, "");
  });

  it("logger's lines", () => {
    const m = decodeSyslog(b(loggerCaptures.udp5424));
    assert.equal(m.facility, 19); // local3
    assert.equal(m.severity, 4); // warning
    assert.equal(m.hostname, "vm");
    assert.equal(m.app, "myapp");
    assert.equal(m.message, "hello 5424 ü");
    assert.equal(m.timestamp, Date.UTC(2026, 10, 24, 17, 27, 16, 711));
    const sd = decodeSyslog(b(loggerCaptures.sd));
    assert.equal(sd.msgid, "ID47");
    assert.deepEqual(sd.structuredData[1], { id: "zoo@123", params: [{ name: "tiger", value: "hungry" }] });
    assert.equal(sd.message, "with sd");
  });

  it("escapes in PARAM-VALUE; UTF-8 values; other backslashes kept", () => {
    const m = decodeSyslog(b('<14>1 - - - - - [a@1 q="say \\"hi\\"" b="x\\]y\\\\z" c="\\n" u="ünï"] m'));
    assert.deepEqual(m.structuredData[0]?.params, [
      { name: "q", value: 'say "hi"' },
      { name: "b", value: "x]y\\z" },
      { name: "c", value: "\\n" },
      { name: "u", value: "ünï" },
    ]);
    assert.equal(m.timestamp, null);
    assert.equal(m.hostname, null);
  });

  it("NILVALUE everywhere, no MSG; trailing LF and NUL dropped", () => {
    const m = decodeSyslog(b("<0>1 - - - - - -"));
    assert.equal(m.facility, 0);
    assert.equal(m.message, "");
    assert.equal(decodeSyslog(b("<13>1 - - - - - - hi\r\n\0")).message, "hi");
  });

  it("invalid UTF-8 in MSG becomes U+FFFD", () => {
    const m = decodeSyslog(Buffer.concat([b("<13>1 - - - - - - a"), Buffer.from([0xff, 0xfe]), b("b")]));
    assert.equal(m.message, "a\uFFFD\uFFFDb");
  });

  it("round-trips through the encoder", () => {
    for (const line of [...Object.values(rfc5424Examples), loggerCaptures.sd]) {
      const m = decodeSyslog(b(line));
      const { format: _f, ...rest } = m;
      assert.deepEqual(decodeSyslog(encodeRfc5424(rest)), m);
    }
  });

  const errors: [string, string][] = [
    ["", "syslog: empty message"],
    ["<13", "syslog: invalid PRI: no '>' within 3 digits"],
    ["<1234>1 - - - - - -", "syslog: invalid PRI: no '>' within 3 digits"],
    ["<>1 - - - - - -", "syslog: invalid PRI: empty"],
    ["<013>1 - - - - - -", "syslog: invalid PRI: leading zero"],
    ["<192>1 - - - - - -", "syslog: invalid PRI: 192 is above 191"],
    ["<1x>", "syslog: invalid PRI: byte 0x78 at offset 2"],
    ["<13>2 - - - - - -", "syslog: unsupported VERSION 2"],
    ["<13>1 -", "syslog: message ends after TIMESTAMP"],
    ["<13>1 - host app", "syslog: message ends after APP-NAME"],
    ["<13>1 - - - -", "syslog: message ends after PROCID"],
    ["<13>1 - - - - -", "syslog: message ends after MSGID"],
    ["<13>1 - - - - - ", "syslog: message ends before STRUCTURED-DATA"],
    ["<13>1 -  - - - - -", "syslog: empty HOSTNAME at offset 8"],
    [
      "<13>1 2003-13-11T22:14:15Z - - - - -",
      "syslog: invalid TIMESTAMP '2003-13-11T22:14:15Z': no such date",
    ],
    [
      "<13>1 2003-02-29T22:14:15Z - - - - -",
      "syslog: invalid TIMESTAMP '2003-02-29T22:14:15Z': no such date",
    ],
    [
      "<13>1 2003-10-11T22:14:60Z - - - - -",
      "syslog: invalid TIMESTAMP '2003-10-11T22:14:60Z': no such time",
    ],
    [
      "<13>1 2003-10-11T22:14:15+24:00 - - - - -",
      "syslog: invalid TIMESTAMP '2003-10-11T22:14:15+24:00': no such offset",
    ],
    ["<13>1 2003-10-11t22:14:15Z - - - - -", "syslog: invalid TIMESTAMP '2003-10-11t22:14:15Z'"],
    [
      "<13>1 2003-10-11T22:14:15.1234567Z - - - - -",
      "syslog: invalid TIMESTAMP '2003-10-11T22:14:15.1234567Z'",
    ],
    ["<13>1 - - - - - x", "syslog: STRUCTURED-DATA must be '-' or '[' at offset 16"],
    ["<13>1 - - - - - -x", "syslog: expected SP after STRUCTURED-DATA at offset 17"],
    ["<13>1 - - - - - [a", "syslog: STRUCTURED-DATA not closed with ']'"],
    ["<13>1 - - - - - []", "syslog: empty SD-ID at offset 17"],
    ["<13>1 - - - - - [a b]", "syslog: expected '=' after PARAM-NAME at offset 20"],
    ["<13>1 - - - - - [a b=c]", "syslog: expected '\"' to open PARAM-VALUE at offset 21"],
    ['<13>1 - - - - - [a b="c]', "syslog: PARAM-VALUE not closed with '\"'"],
    ['<13>1 - - - - - [a b="c"x', "syslog: expected ']' or SP in SD-ELEMENT at offset 24"],
    [`<13>1 - - ${"a".repeat(49)} - - -`, "syslog: APP-NAME longer than 48 characters"],
    [`<13>1 - - - - - [${"a".repeat(33)}]`, "syslog: SD-ID longer than 32 characters"],
  ];
  for (const [line, message] of errors) {
    it(`rejects ${JSON.stringify(line.slice(0, 40))}`, () => {
      assert.throws(
        () => decodeSyslog(b(line)),
        (err: unknown) => {
          assert.ok(err instanceof SyslogParseError);
          assert.equal(err.message, message);
          return true;
        },
      );
    });
  }

  it("rejects a non-printable byte in a header field", () => {
    assert.throws(() => decodeSyslog(Buffer.from("<13>1 - h\x01st - - - -", "latin1")), {
      name: "SyslogParseError",
      message: "syslog: HOSTNAME: byte 0x01 at offset 9",
    });
  });
});

describe("RFC 3164", () => {
  it("5.4 example 1", () => {
    assert.deepEqual(decodeSyslog(b(rfc3164Examples.ex1), { now: Date.UTC(2003, 9, 12) }), {
      format: "rfc3164",
      facility: 4,
      severity: 2,
      timestamp: Date.UTC(2003, 9, 11, 22, 14, 15),
      hostname: "mymachine",
      app: "su",
      procid: null,
      msgid: null,
      structuredData: [],
      message: "'su root' failed for lonvick on /dev/pts/8",
      bom: false,
    });
  });

  it("5.4 example 2: no PRI is user.notice (4.3.3)", () => {
    const m = decodeSyslog(b(rfc3164Examples.ex2));
    assert.equal(m.facility, 1);
    assert.equal(m.severity, 5);
    assert.equal(m.hostname, null);
    assert.equal(m.app, null);
    assert.equal(m.message, "Use the BFG!");
  });

  it("5.4 example 3: space-padded day, address hostname, no tag", () => {
    const m = decodeSyslog(b(rfc3164Examples.ex3), { now: Date.UTC(2004, 1, 5) });
    assert.equal(m.timestamp, Date.UTC(2004, 1, 5, 17, 32, 18));
    assert.equal(m.hostname, "10.0.0.99");
    assert.equal(m.app, null);
    assert.equal(m.message, "Use the BFG!");
  });

  it("logger's line; tag with pid; busybox without hostname; kernel lines", () => {
    const m = decodeSyslog(b(loggerCaptures.udp3164), { now: NOV_24_2026 });
    assert.equal(m.timestamp, Date.UTC(2026, 10, 24, 17, 27, 16));
    assert.equal(m.hostname, "vm");
    assert.equal(m.app, "myapp");
    assert.equal(m.message, "hello 3164");
    const p = decodeSyslog(b("<30>Nov 24 17:27:16 lab3-14 systemd[1]: Started foo.service."), {
      now: NOV_24_2026,
    });
    assert.deepEqual(
      [p.hostname, p.app, p.procid, p.message],
      ["lab3-14", "systemd", "1", "Started foo.service."],
    );
    const bb = decodeSyslog(b("<13>Nov 24 17:27:16 udhcpc[88]: lease obtained"), { now: NOV_24_2026 });
    assert.deepEqual([bb.hostname, bb.app, bb.procid, bb.message], [null, "udhcpc", "88", "lease obtained"]);
    const k = decodeSyslog(b("<6>kernel: [    1.234] nbd0: p1\n"));
    assert.deepEqual([k.facility, k.severity, k.app, k.message], [0, 6, "kernel", "[    1.234] nbd0: p1"]);
  });

  it("an ISO timestamp in the BSD format (rsyslog forwarding)", () => {
    const m = decodeSyslog(b("<13>2026-11-24T17:27:16.5+01:00 host app: hi"));
    assert.equal(m.format, "rfc3164");
    assert.equal(m.timestamp, Date.UTC(2026, 10, 24, 16, 27, 16, 500));
    assert.deepEqual([m.hostname, m.app, m.message], ["host", "app", "hi"]);
  });

  it("infers the year nearest the reference time; applies the sender's offset", () => {
    const dec = decodeSyslog(b("<13>Dec 31 23:59:59 h a: x"), { now: Date.UTC(2027, 0, 1, 0, 0, 5) });
    assert.equal(dec.timestamp, Date.UTC(2026, 11, 31, 23, 59, 59));
    const jan = decodeSyslog(b("<13>Jan  1 00:00:01 h a: x"), { now: Date.UTC(2026, 11, 31, 23, 59, 58) });
    assert.equal(jan.timestamp, Date.UTC(2027, 0, 1, 0, 0, 1));
    const leap = decodeSyslog(b("<13>Feb 29 12:00:00 h a: x"), { now: Date.UTC(2025, 1, 28) });
    assert.equal(leap.timestamp, Date.UTC(2024, 1, 29, 12), "the nearest year with a Feb 29");
    const cet = decodeSyslog(b("<13>Nov 24 18:27:16 h a: x"), { now: NOV_24_2026, utcOffsetMinutes: 60 });
    assert.equal(cet.timestamp, Date.UTC(2026, 10, 24, 17, 27, 16));
    assert.equal(decodeSyslog(b("<13>Nov 24 17:27:16 h a: x")).timestamp, null, "no reference, no year");
  });

  it("an impossible date is message text (4.3.2)", () => {
    const m = decodeSyslog(b("<13>Nov 34 17:27:16 h a: x"), { now: NOV_24_2026 });
    assert.equal(m.timestamp, null);
    assert.equal(m.hostname, null);
    assert.equal(m.message, "Nov 34 17:27:16 h a: x");
  });

  it("a 5424-looking VERSION not followed by a timestamp is BSD text", () => {
    const m = decodeSyslog(b("<13>1 apple a day"));
    assert.equal(m.format, "rfc3164");
    assert.equal(m.message, "1 apple a day");
  });
});
