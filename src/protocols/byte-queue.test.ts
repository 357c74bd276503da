import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteQueue } from "./byte-queue.js";

describe("ByteQueue", () => {
  const bytes = Buffer.from("0123456789abcdef");

  it("hands out the same bytes at every split of the input into two chunks", () => {
    for (let split = 0; split <= bytes.length; split++) {
      for (let first = 0; first <= bytes.length; first++) {
        const q = new ByteQueue();
        q.push(bytes.subarray(0, split));
        q.push(bytes.subarray(split));
        assert.equal(q.length, bytes.length);
        assert.deepEqual(q.peek(first), bytes.subarray(0, first));
        assert.deepEqual(q.take(first), bytes.subarray(0, first));
        assert.deepEqual(q.take(q.length), bytes.subarray(first));
        assert.equal(q.length, 0);
      }
    }
  });

  it("gives a view, not a copy, of bytes inside one chunk", () => {
    const q = new ByteQueue();
    q.push(bytes);
    q.skip(2);
    const view = q.take(4);
    assert.equal(view.buffer, bytes.buffer);
    assert.equal(view.toString(), "2345");
  });

  it("refuses to hand out more than it holds, and clear drops everything", () => {
    const q = new ByteQueue();
    q.push(bytes.subarray(0, 3));
    assert.throws(() => q.take(4), RangeError);
    assert.throws(() => q.skip(-1), RangeError);
    q.clear();
    assert.equal(q.length, 0);
    q.push(Buffer.from("xy"));
    assert.equal(q.take(2).toString(), "xy");
  });
});
