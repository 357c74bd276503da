import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DhcpIntakeQueue } from "./dhcp-intake-queue.js";

describe("DhcpIntakeQueue.close", () => {
  it("resolves once the exchanges under way have finished, drops what waits and takes nothing more", async () => {
    const started: number[] = [];
    const finish: (() => void)[] = [];
    const q = new DhcpIntakeQueue<number>({
      maxInFlight: 2,
      maxDiscovers: 8,
      perTurn: 8,
      onShed: () => {},
      run: (n) => {
        started.push(n);
        return new Promise<void>((resolve) => finish.push(resolve));
      },
    });
    for (const n of [1, 2, 3]) q.push(n, false);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [1, 2]);
    let closed = false;
    const closing = q.close().then(() => {
      closed = true;
    });
    q.push(4, false);
    assert.equal(q.waiting, 0);
    finish.shift()!();
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, false, "one exchange is still under way");
    finish.shift()!();
    await closing;
    assert.deepEqual(started, [1, 2], "nothing started after close");
  });

  it("resolves at once when nothing is under way", async () => {
    const q = new DhcpIntakeQueue<number>({
      maxInFlight: 1,
      maxDiscovers: 1,
      perTurn: 1,
      onShed: () => {},
      run: async () => {},
    });
    await q.close();
  });
});
