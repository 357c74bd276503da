import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { negotiateReadOptions, type OptionLimits } from "./tftp-options.js";
import type { TftpOption } from "./tftp-packet.js";

const limits: OptionLimits = { maxBlksize: 65464, maxWindowsize: 64, maxWindowBytes: 1 << 20 };

function opts(...pairs: [string, string][]): TftpOption[] {
  return pairs.map(([name, value]) => ({ name, value }));
}

describe("tftp option negotiation (RFC 2347/2348/2349/7440)", () => {
  it("no options: lock-step 512, no OACK", () => {
    const n = negotiateReadOptions([], 100, limits);
    assert.deepEqual(n, { blksize: 512, windowsize: 1, timeoutMs: undefined, oack: [], ignored: [] });
  });

  it("iPXE blksize=1432,tsize", () => {
    const n = negotiateReadOptions(opts(["blksize", "1432"], ["tsize", "0"]), 4096, limits);
    assert.equal(n.blksize, 1432);
    assert.deepEqual(n.oack, opts(["blksize", "1432"], ["tsize", "4096"]));
  });

  it("pxelinux blksize=1408,tsize", () => {
    const n = negotiateReadOptions(opts(["tsize", "0"], ["blksize", "1408"]), 70, limits);
    assert.deepEqual(n.oack, opts(["tsize", "70"], ["blksize", "1408"]));
  });

  it("answers tsize whatever value the RRQ carries (atftp sends 'enable')", () => {
    assert.deepEqual(negotiateReadOptions(opts(["tsize", "enable"]), 5, limits).oack, opts(["tsize", "5"]));
  });

  it("leaves tsize out for an empty file (curl refuses 'tsize 0')", () => {
    const n = negotiateReadOptions(opts(["tsize", "0"], ["blksize", "1408"]), 0, limits);
    assert.deepEqual(n.oack, opts(["blksize", "1408"]));
    assert.deepEqual(negotiateReadOptions(opts(["tsize", "0"]), 0, limits).oack, []);
  });

  it("OVMF tsize=0,blksize=1468,windowsize=4", () => {
    const n = negotiateReadOptions(opts(["tsize", "0"], ["blksize", "1468"], ["windowsize", "4"]), 9, limits);
    assert.equal(n.windowsize, 4);
    assert.deepEqual(n.oack, opts(["tsize", "9"], ["blksize", "1468"], ["windowsize", "4"]));
  });

  it("blksize bounds: below 8 ignored, above the limit answered with the limit", () => {
    assert.deepEqual(negotiateReadOptions(opts(["blksize", "7"]), 1, limits).oack, []);
    assert.equal(negotiateReadOptions(opts(["blksize", "7"]), 1, limits).blksize, 512);
    assert.deepEqual(negotiateReadOptions(opts(["blksize", "8"]), 1, limits).oack, opts(["blksize", "8"]));
    assert.deepEqual(
      negotiateReadOptions(opts(["blksize", "65465"]), 1, limits).oack,
      opts(["blksize", "65464"]),
    );
    const small = negotiateReadOptions(opts(["blksize", "9000"]), 1, { ...limits, maxBlksize: 1468 });
    assert.equal(small.blksize, 1468);
    assert.deepEqual(negotiateReadOptions(opts(["blksize", "abc"]), 1, limits).oack, []);
    assert.deepEqual(negotiateReadOptions(opts(["blksize", "-5"]), 1, limits).oack, []);
  });

  it("timeout 1..255 is echoed unchanged, anything else ignored", () => {
    const n = negotiateReadOptions(opts(["timeout", "3"]), 1, limits);
    assert.equal(n.timeoutMs, 3000);
    assert.deepEqual(n.oack, opts(["timeout", "3"]));
    assert.deepEqual(negotiateReadOptions(opts(["timeout", "0"]), 1, limits).oack, []);
    assert.deepEqual(negotiateReadOptions(opts(["timeout", "256"]), 1, limits).oack, []);
  });

  it("windowsize is capped by the limit and by window bytes", () => {
    assert.equal(negotiateReadOptions(opts(["windowsize", "1000"]), 1, limits).windowsize, 64);
    const big = negotiateReadOptions(opts(["blksize", "65464"], ["windowsize", "64"]), 1, limits);
    assert.equal(big.windowsize, 16);
    assert.deepEqual(big.oack, opts(["blksize", "65464"], ["windowsize", "16"]));
    assert.deepEqual(negotiateReadOptions(opts(["windowsize", "0"]), 1, limits).oack, []);
    assert.deepEqual(negotiateReadOptions(opts(["windowsize", "65536"]), 1, limits).oack, []);
  });

  it("unknown and repeated options are left out of the OACK", () => {
    const n = negotiateReadOptions(
      opts(["multicast", ""], ["blksize", "1024"], ["blksize", "2048"], ["x-foo", "1"]),
      1,
      limits,
    );
    assert.equal(n.blksize, 1024);
    assert.deepEqual(n.oack, opts(["blksize", "1024"]));
    assert.deepEqual(
      n.ignored.map((i) => i.reason),
      ["unknown option", "repeated", "unknown option"],
    );
  });
});
