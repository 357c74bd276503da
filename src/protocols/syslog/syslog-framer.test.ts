import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SyslogFramer } from "./syslog-framer.js";
import { SyslogParseError } from "./syslog-parse-error.js";
import { loggerCaptures } from "./syslog-test-messages.js";

const b = (s: string) => Buffer.from(s, "utf8");
const text = (frames: Buffer[]) => frames.map((f) => f.toString("utf8"));

/** Feeds `stream` cut at the given offsets; returns the frames, end() included. */
function feed(stream: Buffer, cuts: number[], maxFrame?: number): string[] {
  const f = new SyslogFramer(maxFrame);
  const out: string[] = [];
  let prev = 0;
  for (const c of [...cuts, stream.length]) {
    out.push(...text(f.push(stream.subarray(prev, c))));
    prev = c;
  }
  out.push(...text(f.end()));
  return out;
}

// RFC 6587 3.4.1 and 3.4.2 frames mixed in one stream, as a relay might send,
// with a multi-byte character, a CRLF, an empty line, and a last line with no LF.
const MIXED = b(
  `${loggerCaptures.tcpOctets}${loggerCaptures.tcpLines}` +
    "12 <13>1 - ü -" + // 12 octets: ü is two
    "<14>Nov 24 17:27:16 h a: crlf\r\n" +
    "\n" +
    "<15>no newline at the end",
);
const MIXED_FRAMES = [
  '<13>1 2026-11-24T17:27:16.731004+00:00 vm root - - [timeQuality tzKnown="1" isSynced="0"] a',
  '<13>1 2026-11-24T17:27:16.731265+00:00 vm root - - [timeQuality tzKnown="1" isSynced="0"] b',
  "<13>Nov 24 17:27:16 vm root: tcp 3164",
  "<13>1 - ü -",
  "<14>Nov 24 17:27:16 h a: crlf",
  "<15>no newline at the end",
];

describe("RFC 6587 framer", () => {
  it("frames a whole stream", () => {
    assert.deepEqual(feed(MIXED, []), MIXED_FRAMES);
  });

  it("gives the same frames at every split point", () => {
    for (let i = 0; i <= MIXED.length; i++) {
      assert.deepEqual(feed(MIXED, [i]), MIXED_FRAMES, `split at ${i}`);
    }
  });

  it("gives the same frames at every pair of split points", () => {
    for (let i = 0; i <= MIXED.length; i += 3) {
      for (let j = i; j <= MIXED.length; j += 5) {
        assert.deepEqual(feed(MIXED, [i, j]), MIXED_FRAMES, `split at ${i} and ${j}`);
      }
    }
  });

  it("one byte at a time", () => {
    assert.deepEqual(
      feed(
        MIXED,
        Array.from({ length: MIXED.length }, (_, i) => i),
      ),
      MIXED_FRAMES,
    );
  });

  it("holds a partial frame and counts it as pending", () => {
    const f = new SyslogFramer();
    assert.deepEqual(f.push(b("20 <13>1 - - -")), []);
    assert.equal(f.pending, 14);
    assert.deepEqual(text(f.push(b(" - - - hi<13>x\n"))), ["<13>1 - - - - - - hi", "<13>x"]);
    assert.equal(f.pending, 0);
  });

  it("drops a truncated octet-counted frame at the end of the stream", () => {
    const f = new SyslogFramer();
    f.push(b("100 <13>1 - -"));
    assert.deepEqual(f.end(), []);
  });

  it("an octet count may frame an LF inside the message", () => {
    assert.deepEqual(feed(b("7 a\nb\nc\nd"), []), ["a\nb\nc\nd"]);
  });

  const errors: [string, string, number?][] = [
    ["12x <13>", "syslog: invalid octet count: byte 0x78 in MSG-LEN"],
    ["70000 <13>", "syslog: frame of 70000+ octets is over the limit of 65536"],
    ["99999999999999999999", "syslog: frame of 99999+ octets is over the limit of 65536"],
    ["<13>aaaaaaaaaaa", "syslog: line of 15+ octets is over the limit of 10", 10],
    ["<13>aaaaaaaaaaa\n", "syslog: line of 15 octets is over the limit of 10", 10],
  ];
  for (const [input, message, max] of errors) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      const f = new SyslogFramer(max);
      assert.throws(
        () => f.push(b(input)),
        (err: unknown) => {
          assert.ok(err instanceof SyslogParseError);
          assert.equal(err.message, message);
          return true;
        },
      );
      assert.throws(() => f.push(b("<13>ok\n")), {
        name: "SyslogParseError",
        message: "syslog: framing already failed on this stream",
      });
      assert.deepEqual(f.end(), []);
    });
  }
});
