/** The log line and event for a transfer that has ended, and how the service counts it. */
import type { EventBus } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import type { TransferSummary } from "./tftp-transfer.js";
import type { UdpRemote } from "./udp-socket.js";

export interface EndedTransfer {
  readonly client: UdpRemote;
  readonly file: string;
  readonly summary: TransferSummary;
  readonly blksize: number;
  readonly windowsize: number;
  readonly generated: boolean;
  readonly mac: string | undefined;
}

/** `uncounted`: aborted by the server (stopping, superseded), neither a success nor a failure. */
export type TransferEndCount = "completed" | "failed" | "uncounted";

export function transferEndCount(summary: TransferSummary): TransferEndCount {
  const { result } = summary;
  if (result.kind === "done") return "completed";
  // OVMF's size probe (below) is a normal step of its boot.
  if (result.kind === "client-error" && result.beforeData) return "completed";
  if (result.kind === "aborted") return "uncounted";
  return "failed";
}

/** Counted first (transferEndCount), so a listener of these events reads stats that include it. */
export function reportTransferEnd(ended: EndedTransfer, log: Logger, bus: Pick<EventBus, "publish">): void {
  const { summary, file } = ended;
  const { result } = summary;
  const ip = ended.client.address;
  const common = {
    file,
    bytes: summary.bytes,
    duration_ms: summary.durationMs,
    blksize: ended.blksize,
    windowsize: ended.windowsize,
    retransmits: summary.retransmits,
    generated: ended.generated,
  };
  if (result.kind === "done") {
    log.debug({ ip, ...common }, "tftp: sent");
    bus.publish({ type: "tftp.done", ip, mac: ended.mac, detail: common });
    return;
  }
  if (result.kind === "client-error" && result.beforeData) {
    // OVMF (EDK2 PxeBcTftpGetFileSize) asks with tsize, reads the size from
    // the OACK and aborts with an ERROR, then asks again for the data. That
    // is a normal step of its boot, not a failure.
    log.debug(
      { ip, file, code: result.code, msg: result.message },
      "tftp: client ended after the OACK (size probe)",
    );
    return;
  }
  if (result.kind === "aborted") {
    log.debug({ ip, file, reason: result.message }, "tftp: transfer aborted");
    return;
  }
  const detail =
    result.kind === "client-error"
      ? { ...common, code: result.code, error: result.message, source: "client" }
      : { ...common, error: result.message, source: "server" };
  log.info(
    { ip, ...detail },
    result.kind === "client-error"
      ? "tftp: client ended the transfer"
      : `tftp: transfer failed (${result.kind})`,
  );
  bus.publish({ type: "tftp.error", ip, mac: ended.mac, detail });
}
