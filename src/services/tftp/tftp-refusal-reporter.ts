/**
 * Answers a refused request with an ERROR from the listening socket, one log
 * line and a `tftp.error` event. A peer sends refused RRQs as fast as it
 * likes, so lines and events are rate-limited per address: from an address
 * that keeps asking, one line and one event per 10 s say how many there were
 * (rate-limited-log.ts).
 */
import type { BootEventInput, EventBus } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { type FloodSummary, OTHER_SOURCES, RateLimitedLog } from "../../logging/rate-limited-log.js";
import { encode } from "../../protocols/tftp/tftp-codec.js";
import { ErrorCode, Opcode } from "../../protocols/tftp/tftp-packet.js";
import type { TftpRefusal } from "./tftp-refusal.js";
import type { UdpRemote, UdpSocket } from "./udp-socket.js";

/**
 * Lines and events per address and 10 s for RRQs of missing files before
 * they are only counted: pxelinux looks for its config under up to ten
 * names (01-<mac>, the address in hex shortened digit by digit, "default"),
 * any of which may be missing, and each is worth seeing.
 */
const MISSING_FILE_BURST = 10;
/** The same for other refusals: a probe for path escapes is worth reading name by name, a flood of them is not. */
const REFUSAL_BURST = 32;

export class TftpRefusalReporter {
  readonly #socket: UdpSocket;
  readonly #bus: Pick<EventBus, "publish">;
  readonly #missing: RateLimitedLog;
  readonly #refused: RateLimitedLog;

  constructor(socket: UdpSocket, bus: Pick<EventBus, "publish">, log: Logger) {
    this.#socket = socket;
    this.#bus = bus;
    // One event for the requests of a flood that got no event of their own.
    const floodEvent = (s: FloodSummary): void => {
      const { ip: _ip, port: _port, ...last } = s.last;
      bus.publish({
        type: "tftp.error",
        ip: s.source === OTHER_SOURCES ? undefined : s.source,
        detail: { ...last, repeated: s.count, window_ms: s.windowMs },
      });
    };
    this.#missing = new RateLimitedLog({
      logger: log,
      level: "info",
      what: "requests for missing files",
      burst: MISSING_FILE_BURST,
      onSummary: floodEvent,
    });
    this.#refused = new RateLimitedLog({
      logger: log,
      what: "refused requests",
      burst: REFUSAL_BURST,
      onSummary: floodEvent,
    });
  }

  /** `request`: the RRQ's own event, published with the refusal's (or counted with it in a flood). */
  refuse(
    client: UdpRemote,
    file: string,
    refusal: TftpRefusal,
    mac?: string,
    request?: BootEventInput,
  ): void {
    this.#socket.send(
      encode({ opcode: Opcode.ERROR, code: refusal.code, message: refusal.clientMessage }),
      client.port,
      client.address,
    );
    const detail = {
      file,
      code: refusal.code,
      error: refusal.clientMessage,
      reason: refusal.reason,
      source: "server",
    };
    const line = { ip: client.address, port: client.port, ...detail };
    // The event goes with the line: a flood is one line and one event per
    // 10 s, with the count.
    const written =
      refusal.code === ErrorCode.FILE_NOT_FOUND
        ? this.#missing.log(client.address, line, "tftp: file not found")
        : this.#refused.log(
            client.address,
            line,
            refusal.code === ErrorCode.ACCESS_VIOLATION ? "tftp: access violation" : "tftp: request refused",
          );
    if (!written) return;
    if (request) this.#bus.publish(request);
    this.#bus.publish({ type: "tftp.error", ip: client.address, mac, detail });
  }

  close(): void {
    this.#missing.close();
    this.#refused.close();
  }
}
