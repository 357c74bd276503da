import assert from "node:assert/strict";
import { it } from "node:test";
import { WolSender, type WolSocket } from "../wol/wol-sender.js";
import { wolWakeSender } from "./wol-wake-sender.js";

/** Records sends instead of broadcasting: unit tests stay off the network. */
function fakeSocket(sent: { address: string; port: number; bytes: number }[]): WolSocket {
  return {
    bind: (_p, _a, cb) => cb(),
    setBroadcast: () => {},
    send: (msg, port, address, cb) => {
      sent.push({ address, port, bytes: msg.length });
      cb(null);
    },
    once: () => undefined,
    off: () => undefined,
    close: () => {},
  };
}

it("sends the magic packet to the broadcast address of the machine's network", async () => {
  const sent: { address: string; port: number; bytes: number }[] = [];
  const wake = wolWakeSender(new WolSender({ createSocket: () => fakeSocket(sent) }));
  const r = await wake.wake("52:54:00:12:34:56", { ip: "198.18.0.14", network: "198.18.0.0/24" });
  assert.deepEqual(r, { sentTo: "198.18.0.255:9" });
  assert.deepEqual(sent, [{ address: "198.18.0.255", port: 9, bytes: 102 }]);
});

it("says why when the machine is in no configured network", async () => {
  const wake = wolWakeSender(new WolSender({ createSocket: () => fakeSocket([]) }));
  await assert.rejects(wake.wake("52:54:00:12:34:56", { ip: "10.0.0.5" }), /no network in the config holds/);
});
