import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReplyBufferPool } from "./reply-buffer-pool.js";

describe("ReplyBufferPool", () => {
  it("hands back the same large buffer for the same size", () => {
    const pool = new ReplyBufferPool({ minBytes: 1024 });
    const a = pool.get(4096);
    pool.put(a);
    assert.equal(pool.get(4096), a);
    assert.notEqual(pool.get(4096), a);
  });

  it("ignores small buffers, slices of a shared slab, and sizes beyond the limits", () => {
    const pool = new ReplyBufferPool({ minBytes: 1024, maxBytes: 2048, maxSizes: 1 });
    const small = Buffer.allocUnsafe(100);
    pool.put(small);
    assert.notEqual(pool.get(100), small);
    const slab = Buffer.allocUnsafe(8192);
    pool.put(slab.subarray(0, 4096));
    assert.notEqual(pool.get(4096).buffer, slab.buffer);
    const one = Buffer.allocUnsafeSlow(2048);
    const two = Buffer.allocUnsafeSlow(2048);
    pool.put(one);
    pool.put(two); // maxBytes 2048: dropped
    assert.equal(pool.get(2048), one);
    assert.notEqual(pool.get(2048), two);
    pool.put(Buffer.allocUnsafeSlow(3000)); // maxSizes 1: a second size is not pooled
    pool.put(one);
    assert.equal(pool.get(2048), one);
  });

  it("trims free buffers down to what the open connections may use, largest first", () => {
    const pool = new ReplyBufferPool({ minBytes: 1024 });
    const small: Buffer[] = [Buffer.allocUnsafeSlow(2048), Buffer.allocUnsafeSlow(2048)];
    const large: Buffer[] = [Buffer.allocUnsafeSlow(8192), Buffer.allocUnsafeSlow(8192)];
    for (const b of [...small, ...large]) pool.put(b);
    assert.equal(pool.bytes, 20480);
    pool.trim(12288);
    assert.equal(pool.bytes, 12288);
    assert.ok(large.includes(pool.get(8192)));
    assert.ok(!large.includes(pool.get(8192)), "one large buffer was dropped");
    pool.trim(0);
    assert.equal(pool.bytes, 0);
    assert.ok(!small.includes(pool.get(2048)));
  });
});
