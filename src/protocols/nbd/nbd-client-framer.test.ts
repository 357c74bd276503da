import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NbdClientFramer, type NbdClientMessage } from "./nbd-client-framer.js";
import { NBD_CMD_READ, NBD_CMD_WRITE, NBD_OPT_GO } from "./nbd-constants.js";
import { NbdProtocolError } from "./nbd-protocol-error.js";
import * as pkt from "./nbd-test-packets.js";

/** Feeds `chunks` one by one and collects every whole message. */
function feed(framer: NbdClientFramer, chunks: readonly Buffer[]): NbdClientMessage[] {
  const out: NbdClientMessage[] = [];
  for (const c of chunks) {
    framer.push(c);
    for (let m = framer.next(); m; m = framer.next()) out.push(m);
  }
  return out;
}

/** A framer already past the client flags and the options, in transmission. */
function transmissionFramer(): NbdClientFramer {
  const f = new NbdClientFramer();
  feed(f, [pkt.clientFlagsFixedNoZeroes, pkt.optExportNameDisk]);
  assert.equal(f.phase, "transmission");
  return f;
}

const normalise = (msgs: NbdClientMessage[]) =>
  msgs.map((m) =>
    m.kind === "request"
      ? { ...m, payload: m.payload ? Buffer.from(m.payload).toString("hex") : undefined }
      : m,
  );

describe("NbdClientFramer: handshake", () => {
  const stream = Buffer.concat([
    pkt.clientFlagsFixedNoZeroes,
    pkt.optStructuredReply,
    pkt.optInfoDiskThree,
    pkt.optSetMetaBaseAllocation,
    pkt.optList,
    pkt.optGoDiskNoInfo,
  ]);

  const expected = [
    { kind: "client-flags", flags: 3 },
    { kind: "option", option: 8, data: Buffer.alloc(0) },
    { kind: "option", option: 6, data: pkt.optInfoDiskThree.subarray(16) },
    { kind: "option", option: 10, data: pkt.optSetMetaBaseAllocation.subarray(16) },
    { kind: "option", option: 3, data: Buffer.alloc(0) },
    { kind: "option", option: NBD_OPT_GO, data: pkt.optGoDiskNoInfo.subarray(16) },
  ];

  it("frames the whole stream given at once", () => {
    const f = new NbdClientFramer();
    assert.deepEqual(feed(f, [stream]), expected);
    assert.equal(f.phase, "awaiting-go-reply");
    assert.equal(f.buffered, 0);
  });

  it("frames the same messages at every split point", () => {
    for (let i = 0; i <= stream.length; i++) {
      const f = new NbdClientFramer();
      assert.deepEqual(feed(f, [stream.subarray(0, i), stream.subarray(i)]), expected, `split at ${i}`);
    }
  });

  it("frames the same messages fed one byte at a time", () => {
    const f = new NbdClientFramer();
    const bytes = [...stream].map((b) => Buffer.from([b]));
    assert.deepEqual(feed(f, bytes), expected);
  });

  it("holds requests that arrive before the GO reply until enterTransmission", () => {
    const f = new NbdClientFramer();
    const msgs = feed(f, [Buffer.concat([pkt.clientFlagsFixedNoZeroes, pkt.optGoDiskNoInfo, pkt.reqRead])]);
    assert.equal(msgs.length, 2);
    assert.equal(f.next(), undefined);
    assert.equal(f.buffered, 28);
    f.enterTransmission();
    const m = f.next();
    assert.equal(m?.kind, "request");
  });

  it("goes back to options after a failed GO", () => {
    const f = new NbdClientFramer();
    feed(f, [pkt.clientFlagsFixedNoZeroes, pkt.optGoDiskNoInfo]);
    f.resumeOptions();
    assert.deepEqual(feed(f, [pkt.optAbort]), [{ kind: "option", option: 2, data: Buffer.alloc(0) }]);
  });

  it("closes on a wrong option magic", () => {
    const f = new NbdClientFramer();
    f.push(pkt.clientFlagsFixedNoZeroes);
    f.next();
    f.push(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert.throws(() => f.next(), NbdProtocolError);
    assert.equal(f.phase, "closed");
    assert.equal(f.next(), undefined);
  });

  it("refuses an option larger than the limit before buffering it", () => {
    const f = new NbdClientFramer({ maxOptionBytes: 100 });
    f.push(pkt.clientFlagsFixedNoZeroes);
    f.next();
    const header = Buffer.from(`${pkt.IHAVEOPT}0000000700000065`, "hex");
    f.push(header);
    assert.throws(() => f.next(), /carries 101 bytes, more than the 100 accepted/);
  });
});

describe("NbdClientFramer: transmission", () => {
  const stream = Buffer.concat([pkt.reqRead, pkt.reqWriteHello, pkt.reqFlush, pkt.reqDisc]);
  const expected = [
    {
      kind: "request",
      flags: 0,
      type: NBD_CMD_READ,
      handle: 0x0102030405060708n,
      offset: 4096n,
      length: 512,
      payload: undefined,
    },
    {
      kind: "request",
      flags: 1,
      type: NBD_CMD_WRITE,
      handle: 9n,
      offset: 0n,
      length: 5,
      payload: "68656c6c6f",
    },
    { kind: "request", flags: 0, type: 3, handle: 10n, offset: 0n, length: 0, payload: undefined },
    { kind: "request", flags: 0, type: 2, handle: 11n, offset: 0n, length: 0, payload: undefined },
  ];

  it("frames requests at every split point", () => {
    for (let i = 0; i <= stream.length; i++) {
      const f = transmissionFramer();
      assert.deepEqual(
        normalise(feed(f, [stream.subarray(0, i), stream.subarray(i)])),
        expected,
        `split at ${i}`,
      );
    }
  });

  it("frames requests split at every pair of points", () => {
    // Three pieces: a header or payload can span more than two chunks.
    for (let i = 0; i <= stream.length; i += 3) {
      for (let j = i; j <= stream.length; j += 2) {
        const f = transmissionFramer();
        const chunks = [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)];
        assert.deepEqual(normalise(feed(f, chunks)), expected, `split at ${i},${j}`);
      }
    }
  });

  it("frames each message alone at every split point", () => {
    for (const [index, msg] of [pkt.reqRead, pkt.reqWriteHello, pkt.reqFlush, pkt.reqDisc].entries()) {
      for (let i = 0; i <= msg.length; i++) {
        const f = transmissionFramer();
        const got = normalise(feed(f, [msg.subarray(0, i), msg.subarray(i)]));
        assert.deepEqual(got, [expected[index]], `message ${index} split at ${i}`);
      }
    }
  });

  it("closes on a wrong request magic", () => {
    const f = transmissionFramer();
    const bad = Buffer.from(pkt.reqRead);
    bad[0] = 0x26;
    f.push(bad);
    assert.throws(() => f.next(), /request magic 0x26609513, expected 0x25609513/);
    assert.equal(f.phase, "closed");
  });

  it("hands out an oversized WRITE without its payload, then stops", () => {
    const f = new NbdClientFramer({ maxPayloadBytes: 4 });
    feed(f, [pkt.clientFlagsFixedNoZeroes, pkt.optExportNameDisk]);
    const msgs = feed(f, [pkt.reqWriteHello, pkt.reqFlush]);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]?.kind, "request");
    assert.equal(msgs[0]?.kind === "request" && msgs[0].payload, undefined);
    assert.equal(f.phase, "closed");
  });
});
