/**
 * A worker thread of TftpWorkerPool that runs its transfers on its own loop
 * (poll-loop.ts, on the native addon) instead of libuv's. The messages are
 * those of tftp-transfer-worker.ts. This thread blocks in epoll_wait, so the
 * pool wakes it through the eventfd it passes in `wakerFd` after every
 * message, and the messages are read with receiveMessageOnPort.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { loadNativeUdp } from "./native-udp.js";
import { PollLoop } from "./poll-loop.js";
import type { TftpTransfer } from "./tftp-transfer.js";
import type { ToWorker } from "./tftp-worker-pool.js";
import { openTransferSourceSync, type TransferSource } from "./transfer-source.js";
import { type TransferSpec, transferFor } from "./transfer-runner.js";
import type { TransferSocket } from "./udp-socket.js";

const port = parentPort!;
const { localAddress, wakerFd, busyPollUs } = workerData as {
  localAddress: string;
  wakerFd: number;
  busyPollUs: number;
};
const { udp, reason } = loadNativeUdp();
if (udp === null) throw new Error(reason);
const loop = new PollLoop(udp, localAddress, wakerFd, busyPollUs);
const transfers = new Map<number, TftpTransfer>();

function start(id: number, spec: TransferSpec): void {
  let source: TransferSource;
  let socket: TransferSocket;
  try {
    source = openTransferSourceSync(spec.source);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    port.postMessage({ t: "refused", id, message: err.message, code: err.code });
    return;
  }
  try {
    socket = loop.openSocket(spec.client);
  } catch (e) {
    source.close();
    port.postMessage({ t: "refused", id, message: (e as Error).message });
    return;
  }
  const transfer = transferFor(spec, source, socket, loop, loop, {
    onEnd: (summary) => {
      transfers.delete(id);
      port.postMessage({ t: "end", id, summary });
    },
    onNote: (note, detail) => port.postMessage({ t: "note", id, note, detail }),
  });
  transfers.set(id, transfer);
  // "started" before anything the transfer may post (an end at once).
  port.postMessage({ t: "started", id });
  transfer.start();
}

function handle(m: ToWorker): void {
  switch (m.t) {
    case "start":
      start(m.id, m.spec);
      break;
    case "repeat":
      // The loop read the sockets before this message, so an ERROR the client
      // sent before repeating its RRQ (OVMF's abort) has already ended the transfer.
      port.postMessage({
        t: "repeated",
        id: m.id,
        seq: m.seq,
        alive: transfers.get(m.id)?.stillRunning() ?? false,
      });
      break;
    case "abort":
      transfers.get(m.id)?.abort(m.message);
      break;
    case "close":
      loop.stop();
      break;
  }
}

try {
  loop.run(() => {
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port))
      handle(m.message as ToWorker);
  });
} finally {
  // Also when a bug threw out of the loop: the sockets are this process's
  // fds, not the worker's, and would outlive it.
  for (const transfer of [...transfers.values()]) transfer.abort("server stopping");
  loop.dispose();
}
