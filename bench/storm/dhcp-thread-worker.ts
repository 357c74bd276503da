/** The thread of dhcp-thread.ts: one DhcpPort, each request's DORA run on it. */
import { parentPort } from "node:worker_threads";
import { DhcpPort } from "./dhcp-port.js";
import type { Firmware } from "./firmware-dhcp-packets.js";

interface Ask {
  readonly id: number;
  readonly firmware: Firmware;
  readonly mac: string;
  readonly timeoutsMs: readonly number[];
}

const parent = parentPort;
if (!parent) throw new Error("dhcp-thread-worker.ts runs as a worker thread (dhcp-thread.ts)");
try {
  const port = await DhcpPort.open();
  parent.on("message", (a: Ask) => {
    port.obtain(a.firmware, a.mac, a.timeoutsMs).then(
      (lease) => parent.postMessage({ id: a.id, lease }),
      (err: Error) => parent.postMessage({ id: a.id, error: err.message }),
    );
  });
  parent.postMessage({ ready: true });
} catch (err) {
  parent.postMessage({ error: (err as Error).message });
}
