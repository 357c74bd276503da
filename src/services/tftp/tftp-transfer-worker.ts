/**
 * A worker thread of TftpWorkerPool: runs the transfers posted to it with
 * its own connected sockets and timers, and reports back (see the message
 * shapes in tftp-worker-pool.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import { systemClock } from "../../events/event-bus.js";
import { dgramTransferSocketFactory } from "./dgram-transfer-socket-factory.js";
import { systemTimers } from "./timers.js";
import { InThreadTransferRunner, type TransferHandle } from "./transfer-runner.js";
import type { ToWorker } from "./tftp-worker-pool.js";

const port = parentPort!;
const { localAddress } = workerData as { localAddress: string };
const runner = new InThreadTransferRunner(
  dgramTransferSocketFactory(localAddress),
  systemClock,
  systemTimers,
);
const handles = new Map<number, TransferHandle>();

port.on("message", (m: ToWorker) => {
  switch (m.t) {
    case "start":
      runner
        .start(m.spec, {
          onEnd: (summary) => {
            handles.delete(m.id);
            port.postMessage({ t: "end", id: m.id, summary });
          },
          onNote: (note, detail) => port.postMessage({ t: "note", id: m.id, note, detail }),
        })
        .then(
          (handle) => {
            handles.set(m.id, handle);
            port.postMessage({ t: "started", id: m.id });
          },
          (e: unknown) => {
            const err = e as NodeJS.ErrnoException;
            port.postMessage({ t: "refused", id: m.id, message: err.message, code: err.code });
          },
        );
      break;
    case "repeat":
      // Let socket reads already due run first: an ERROR from the client
      // (OVMF's abort before it asks again) may be waiting on the transfer socket.
      setImmediate(() => {
        const h = handles.get(m.id);
        const reply = (alive: boolean) => port.postMessage({ t: "repeated", id: m.id, seq: m.seq, alive });
        if (h === undefined) reply(false);
        else void h.stillRunning().then(reply);
      });
      break;
    case "abort":
      handles.get(m.id)?.abort(m.message);
      break;
  }
});
