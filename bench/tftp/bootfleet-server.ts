/**
 * bootfleet's TFTP service alone, for the bench: its own process (like
 * in.tftpd and dnsmasq), so no server shares the bench's event loop. Prints
 * "port <n>" when listening; stops on SIGTERM.
 *
 *   node --import tsx bench/tftp/bootfleet-server.ts <root> [port] [workers] [io] [busy-poll-us]
 *
 * `workers` (default 0) runs transfers on that many worker threads; `io`
 * (default native) is how they do their I/O: "native" (their own epoll loop
 * on native/bootfleet_udp, as `bootfleet serve` does when it is built) or
 * "node" (libuv and node:dgram); `busy-poll-us` (default: serve's
 * services.tftp.busy_poll_us) how long native loops poll before sleeping.
 */
import { createSocket } from "node:dgram";
import { EventBus } from "../../src/events/event-bus.js";
import type { Logger } from "../../src/logging/logger.js";
import { dgramTransferSocketFactory } from "../../src/services/tftp/dgram-transfer-socket-factory.js";
import { loadNativeUdp } from "../../src/services/tftp/native-udp.js";
import { DEFAULT_BUSY_POLL_US, DEFAULT_MAX_TRANSFERS } from "../../src/config/config-schema.js";
import { TftpService } from "../../src/services/tftp/tftp-service.js";

const root = process.argv[2];
if (!root) {
  process.stderr.write("usage: bootfleet-server.ts <root> [port]\n");
  process.exit(2);
}
const address = "127.0.0.1";
const workers = Number(process.argv[4] ?? 0);
const io = process.argv[5] ?? "native";
const busyPollUs = Number(process.argv[6] ?? DEFAULT_BUSY_POLL_US);
const native = io === "native" ? loadNativeUdp() : { udp: null, reason: "" };
if (workers > 0 && io === "native" && native.udp === null) {
  process.stderr.write(`bootfleet-server: ${native.reason}\n`);
  process.exit(2);
}

/** Warnings go to stderr; routine lines are dropped (in.tftpd -L logs nothing either without -v). */
const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (obj, msg) => process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`),
  error: (obj, msg) => process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`),
  child: () => logger,
};

const socket = createSocket("udp4");
socket.bind(Number(process.argv[3] ?? 0), address, () => {
  const service = new TftpService({
    socket,
    createTransferSocket: dgramTransferSocketFactory(address),
    transferWorkers:
      workers > 0 ? { count: workers, localAddress: address, native: native.udp, busyPollUs } : undefined,
    root,
    // Every bench client stands for a machine of its own, all on 127.0.0.1.
    options: { maxTransfers: DEFAULT_MAX_TRANSFERS, maxTransfersPerClient: DEFAULT_MAX_TRANSFERS },
    planner: { generatedFile: async () => null },
    bus: new EventBus(),
    logger,
  });
  service.start();
  process.stdout.write(`port ${socket.address().port}\n`);
  process.on("SIGTERM", () => {
    service.close();
    socket.close();
    process.exit(0);
  });
});
