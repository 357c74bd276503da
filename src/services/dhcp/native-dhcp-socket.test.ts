/**
 * The DHCP service's sockets on the native addon, over loopback: datagrams
 * in with their source, a burst read whole, replies out, errors as errno
 * names, close. The addon is part of the build (`npm test` builds it), so a
 * missing addon fails here with the reason instead of skipping.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { describe, it } from "node:test";
import { waitUntil } from "../../../test/support/wait-until.js";
import { loadNativeDatagrams, type NativeDatagrams, nativeDhcpBinder } from "./native-dhcp-socket.js";

function addon(): NativeDatagrams {
  const calls = loadNativeDatagrams();
  if (calls === null)
    assert.fail("the native addon is part of the build and did not load: npm run build:native");
  return calls;
}

async function peer(): Promise<Socket> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return socket;
}

describe("native DHCP sockets", () => {
  it("hand each datagram over with its source, read a burst whole, and send replies", async () => {
    const socket = await nativeDhcpBinder(addon())("127.0.0.1", 0);
    const client = await peer();
    try {
      const got: { text: string; address: string; port: number }[] = [];
      socket.on("message", (msg, rinfo) => got.push({ text: msg.toString(), ...rinfo }));
      const { port } = socket.address();
      assert.ok(port > 0);
      // More than one recvmmsg batch (64) arriving at once.
      for (let i = 0; i < 150; i++) client.send(`packet ${i}`, port, "127.0.0.1");
      await waitUntil(() => got.length === 150, "150 datagrams read");
      assert.deepEqual(
        got.map((g) => g.text),
        Array.from({ length: 150 }, (_, i) => `packet ${i}`),
      );
      assert.deepEqual(got[0], { text: "packet 0", address: "127.0.0.1", port: client.address().port });

      const reply = new Promise<string>((resolve) => client.once("message", (m) => resolve(m.toString())));
      let sendError: Error | null | undefined;
      socket.send(Buffer.from("offer"), client.address().port, "127.0.0.1", (e) => (sendError = e));
      assert.equal(await reply, "offer");
      assert.equal(sendError, null);

      socket.send(Buffer.from("x"), 67, "not-an-address", (e) => (sendError = e));
      assert.match(String(sendError), /not an IPv4 address/);
    } finally {
      socket.close();
      socket.close(); // twice is harmless
      client.close();
    }
  });

  it("sends a turn's replies together, in order, and reports the one that fails without losing the rest", async () => {
    const socket = await nativeDhcpBinder(addon())("127.0.0.1", 0);
    const client = await peer();
    try {
      const got: string[] = [];
      client.on("message", (m) => got.push(m.toString()));
      const to = client.address().port;
      const results: (Error | null)[] = [];
      // 150 replies in one turn: more than one batch (64), one of them to
      // port 0, which the kernel refuses (EINVAL).
      for (let i = 0; i < 150; i++)
        socket.send(Buffer.from(`reply ${i}`), i === 70 ? 0 : to, "127.0.0.1", (e) => (results[i] = e));
      await waitUntil(() => got.length === 149, "149 replies received");
      assert.deepEqual(
        got,
        Array.from({ length: 150 }, (_, i) => `reply ${i}`).filter((_, i) => i !== 70),
      );
      assert.equal(results.length, 150);
      assert.match(String(results[70]), /sendmmsg: EINVAL/);
      assert.deepEqual(
        results.filter((_, i) => i !== 70),
        Array(149).fill(null),
      );

      // A reply queued when the socket closes still leaves; one after, fails.
      socket.send(Buffer.from("last"), to, "127.0.0.1", () => {});
      socket.close();
      await waitUntil(() => got.length === 150, "the queued reply sent on close");
      let late: Error | null = null;
      socket.send(Buffer.from("late"), to, "127.0.0.1", (e) => (late = e));
      assert.match(String(late), /closed/);
    } finally {
      socket.close();
      client.close();
    }
  });

  it("sends one by one on an addon built before sendmmsg", async () => {
    const { sendBatch: _, ...older } = addon();
    const socket = await nativeDhcpBinder(older)("127.0.0.1", 0);
    const client = await peer();
    try {
      const got: string[] = [];
      client.on("message", (m) => got.push(m.toString()));
      const results: (Error | null)[] = [];
      for (let i = 0; i < 3; i++)
        socket.send(Buffer.from(`reply ${i}`), client.address().port, "127.0.0.1", (e) => results.push(e));
      assert.deepEqual(results, [null, null, null]);
      await waitUntil(() => got.length === 3, "3 replies received");
      assert.deepEqual(got, ["reply 0", "reply 1", "reply 2"]);
    } finally {
      socket.close();
      client.close();
    }
  });

  it("holds a burst that arrives while the event loop is busy: 2,000 datagrams, where the default buffer holds about 150", async () => {
    const socket = await nativeDhcpBinder(addon())("127.0.0.1", 0);
    try {
      let got = 0;
      socket.on("message", () => got++);
      const { port } = socket.address();
      // Another process sends while this one is blocked in spawnSync: the
      // datagrams wait in the kernel's receive buffer, as during a pause of
      // the event loop.
      const sent = spawnSync(
        process.execPath,
        [
          "-e",
          `const s = require("node:dgram").createSocket("udp4");
           const b = Buffer.alloc(300);
           let n = 0;
           const next = () => (n++ < 2000 ? s.send(b, ${port}, "127.0.0.1", next) : s.close());
           next();`,
        ],
        { encoding: "utf8" },
      );
      assert.equal(sent.status, 0, sent.stderr);
      await waitUntil(() => got === 2000, "2,000 datagrams read");
    } finally {
      socket.close();
    }
  });

  it("binds beside another socket on the same port (SO_REUSEADDR), and reports a taken port as an error", async () => {
    const bind = nativeDhcpBinder(addon());
    const first = await bind("0.0.0.0", 0);
    const { port } = first.address();
    const second = await bind("127.0.0.1", port);
    try {
      assert.equal(second.address().port, port);
      const holder = await peer();
      try {
        await assert.rejects(bind("127.0.0.1", holder.address().port), /bind: Address already in use/);
      } finally {
        holder.close();
      }
    } finally {
      second.close();
      first.close();
    }
  });
});
