/** The thread of firmware-thread.ts: one DhcpPort for every machine's DHCP, and their TFTP fetches. */
import { parentPort } from "node:worker_threads";
import { DhcpPort } from "./dhcp-port.js";
import type { FirmwareAsk } from "./firmware-thread.js";
import { tftpFetch } from "./tftp-fetch.js";

const parent = parentPort;
if (!parent) throw new Error("firmware-thread-worker.ts runs as a worker thread (firmware-thread.ts)");
try {
  const port = await DhcpPort.open();
  parent.on("message", (a: FirmwareAsk) => {
    const work: Promise<unknown> =
      a.kind === "dhcp" ? port.obtain(a.firmware, a.mac, a.timeoutsMs) : tftpFetch(a.fetch);
    work.then(
      (value) => parent.postMessage({ id: a.id, value }),
      (err: Error) => parent.postMessage({ id: a.id, error: err.message }),
    );
  });
  parent.postMessage({ ready: true });
} catch (err) {
  parent.postMessage({ error: (err as Error).message });
}
