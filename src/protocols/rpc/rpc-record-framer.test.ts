import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { XdrError } from "../xdr/xdr-error.js";
import { XdrWriter } from "../xdr/xdr-writer.js";
import { RpcRecordFramer, reserveRecordMark, sealRecord } from "./rpc-record-framer.js";
import * as pkt from "./rpc-test-packets.js";

function feed(framer: RpcRecordFramer, chunks: readonly Buffer[]): string[] {
  const out: string[] = [];
  for (const c of chunks) {
    framer.push(c);
    for (let m = framer.next(); m; m = framer.next()) out.push(m.toString("hex"));
  }
  return out;
}

describe("RpcRecordFramer", () => {
  const getport = Buffer.concat([
    Buffer.from([0x80, 0, 0, pkt.pmapGetportMountTcp.length]),
    pkt.pmapGetportMountTcp,
  ]);
  const stream = Buffer.concat([pkt.pmapNullRecord, pkt.pmapNullTwoFragments, getport]);
  const expected = [pkt.pmapNull, pkt.pmapNull, pkt.pmapGetportMountTcp].map((b) => b.toString("hex"));

  it("hands out whole records, fragments joined", () => {
    const f = new RpcRecordFramer(1024);
    assert.deepEqual(feed(f, [stream]), expected);
    assert.equal(f.buffered, 0);
  });

  it("hands out the same records at every split point", () => {
    for (let i = 0; i <= stream.length; i++) {
      const f = new RpcRecordFramer(1024);
      assert.deepEqual(feed(f, [stream.subarray(0, i), stream.subarray(i)]), expected, `split at ${i}`);
    }
  });

  it("hands out the same records split at every pair of points", () => {
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j += 3) {
        const f = new RpcRecordFramer(1024);
        const got = feed(f, [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]);
        assert.deepEqual(got, expected, `split at ${i},${j}`);
      }
    }
  });

  it("hands out the same records fed one byte at a time", () => {
    const f = new RpcRecordFramer(1024);
    assert.deepEqual(
      feed(
        f,
        [...stream].map((b) => Buffer.from([b])),
      ),
      expected,
    );
  });

  it("refuses a record over the limit as soon as its mark arrives", () => {
    const f = new RpcRecordFramer(1000);
    f.push(Buffer.from([0x80, 0, 0x03, 0xe9]));
    assert.throws(() => f.next(), XdrError);
    const g = new RpcRecordFramer(1000);
    // Two fragments of 600: the second one takes the record over the limit.
    g.push(
      Buffer.concat([Buffer.from([0, 0, 0x02, 0x58]), Buffer.alloc(600), Buffer.from([0x80, 0, 0x02, 0x58])]),
    );
    assert.throws(() => g.next(), /record of at least 1200 bytes, more than the 1000 accepted/);
  });

  it("seals a reply written after a reserved mark", () => {
    const w = new XdrWriter();
    const at = reserveRecordMark(w);
    w.uint32(1).uint32(2);
    assert.deepEqual(sealRecord(w, at), Buffer.from("800000080000000100000002", "hex"));
  });
});
