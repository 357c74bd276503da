/**
 * One NBD client connection: the socket, the framing of what the client
 * sends, flow control and the connection's life. What the bytes mean is the
 * handshake phase's and then the transmission phase's business; the
 * connection hands each whole message to the phase it belongs to.
 *
 * Flow control both ways: at most `maxInFlight` requests run at once, and
 * what the connection holds for its client (payloads and replies of the
 * requests running, plus replies the socket has not sent yet) stays about
 * `maxReplyBytes`: no new request starts while it is over, and reading from
 * the socket pauses meanwhile, so TCP pushes back on a client that sends
 * faster than the disk drains, or that does not read its replies at all
 * (nbd-server and nginx stop reading such a client the same way). During
 * the handshake one option is answered at a time.
 *
 * Bytes that break a MUST (wrong magic, unknown client flags) end this
 * connection only.
 */
import type { Socket } from "node:net";
import type { Clock, EventBus } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { type NbdClientMessage, NbdClientFramer } from "../../protocols/nbd/nbd-client-framer.js";
import { NBD_MAX_PAYLOAD_BYTES } from "../../protocols/nbd/nbd-constants.js";
import type { CowLayers } from "./cow-layers.js";
import type { NbdClientInfo, NbdExportSource } from "./nbd-export-source.js";
import { NbdHandshakePhase, type NbdNegotiated } from "./nbd-handshake-phase.js";
import { NbdTransmissionPhase } from "./nbd-transmission-phase.js";
import type { ReplyBufferPool } from "../file-io/reply-buffer-pool.js";

export interface NbdConnectionLimits {
  /** Requests running at once. */
  readonly maxInFlight: number;
  /** Bytes held for the client (requests running plus unsent replies) above which no request starts. */
  readonly maxReplyBytes: number;
  readonly handshakeTimeoutMs: number;
}

export interface NbdConnectionDeps {
  readonly socket: Socket;
  readonly client: NbdClientInfo;
  readonly source: NbdExportSource;
  readonly cow: CowLayers;
  readonly bus: Pick<EventBus, "publish">;
  readonly log: Logger;
  readonly clock: Clock;
  readonly limits: NbdConnectionLimits;
  /** Large reply buffers, shared by the service's connections. */
  readonly buffers: ReplyBufferPool;
  readonly onClosed: (connection: NbdConnection) => void;
}

export class NbdConnection {
  readonly #d: NbdConnectionDeps;
  readonly #socket: Socket;
  readonly #log: Logger;
  readonly #framer = new NbdClientFramer({ maxPayloadBytes: NBD_MAX_PAYLOAD_BYTES });
  readonly #handshake: NbdHandshakePhase;
  /** Set once the client picked an export: requests go here. */
  #transmission: NbdTransmissionPhase | undefined;
  /** A handshake option is being answered: no further message is taken until it is. */
  #optionBusy = false;
  #pumping = false;
  #corked = false;
  /** Reading from the socket is paused (a limit was reached, or a handshake option is being answered). */
  #paused = false;
  #inFlight = 0;
  #inFlightBytes = 0;
  /** A request that must run alone, taken from the framer, waiting for those in flight to finish. */
  #waiting: Extract<NbdClientMessage, { kind: "request" }> | undefined;
  /** The request in flight runs alone: nothing else starts until it is answered. */
  #alone = false;
  /** Replies waiting for the socket to have room (`link.room()`). */
  readonly #roomWaiters: (() => void)[] = [];
  /** DISC received or the connection is being ended: finish what is in flight, then close. */
  #draining = false;
  #closed = false;
  #connectedAt = 0;
  #closeReason = "client closed";
  #handshakeTimer: NodeJS.Timeout | undefined;
  readonly #idleWaiters: (() => void)[] = [];

  constructor(deps: NbdConnectionDeps) {
    this.#d = deps;
    this.#socket = deps.socket;
    this.#log = deps.log;
    this.#handshake = new NbdHandshakePhase({
      source: deps.source,
      client: deps.client,
      cow: deps.cow,
      log: deps.log,
      framer: this.#framer,
      link: {
        write: (buf) => this.#write(buf),
        end: (reason) => this.#end(reason),
        abort: (reason) => this.#abort(reason),
        transmit: (negotiated) => this.#transmit(negotiated),
      },
    });
  }

  start(): void {
    const s = this.#socket;
    s.setNoDelay(true);
    // A diskless client that is switched off sends no FIN: without keepalive
    // its connection (and the image version it holds in use) would linger
    // for the kernel's default two hours. Probing after a minute of silence
    // frees it within minutes (Linux then probes every 75 s, 9 times).
    s.setKeepAlive(true, 60_000);
    s.on("data", (chunk: Buffer) => {
      this.#framer.push(chunk);
      this.#pump();
    });
    s.on("drain", () => {
      this.#wakeRoomWaiters();
      this.#pump();
    });
    s.on("end", () => this.#end("client closed"));
    s.on("error", (err) => {
      this.#closeReason = `socket error: ${err.message}`;
    });
    s.on("close", () => void this.#cleanup());
    this.#handshakeTimer = setTimeout(() => {
      if (!this.#transmission) this.#abort("handshake timed out");
    }, this.#d.limits.handshakeTimeoutMs);
    this.#handshakeTimer.unref();
    this.#handshake.greet();
  }

  /** Server shutdown: stop taking requests, finish those in flight, then close. */
  shutdown(): void {
    this.#end("server stopping");
  }

  #write(buf: Buffer, written?: () => void): void {
    if (this.#socket.destroyed) {
      written?.();
      return;
    }
    // Replies completed in one turn of the event loop leave in one writev:
    // with many small reads in flight that is one syscall instead of dozens.
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      setImmediate(this.#uncork);
    }
    this.#socket.write(buf, written);
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  /** Takes whole messages from the framer while the limits allow. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#closed && !this.#draining && !this.#optionBusy) {
        if (this.#framer.phase === "transmission" && !this.#canStartRequest()) {
          this.#pause();
          return;
        }
        const msg = this.#waiting ?? this.#framer.next();
        this.#waiting = undefined;
        if (!msg) break;
        if (msg.kind === "client-flags") {
          this.#handshake.clientFlags(msg.flags);
        } else if (msg.kind === "option") {
          this.#optionBusy = true;
          this.#pause();
          this.#handshake.option(msg.option, msg.data).then(
            () => {
              this.#optionBusy = false;
              // NBD_OPT_ABORT (or a server stop) ended the connection meanwhile.
              if (this.#draining) {
                if (this.#inFlight === 0) this.#socket.end();
              } else this.#pump();
            },
            (err: unknown) => this.#abort(`handshake failed: ${(err as Error).message}`),
          );
          return;
        } else if (!this.#request(msg)) {
          this.#pause();
          return;
        }
      }
      if (this.#paused && !this.#closed && !this.#draining && !this.#optionBusy) {
        this.#paused = false;
        this.#socket.resume();
      }
    } catch (err) {
      // NbdProtocolError from the framer or the client flags: hard disconnect.
      this.#abort((err as Error).message);
    } finally {
      this.#pumping = false;
    }
  }

  /** Stop reading from the socket: TCP pushes back on the client until #pump resumes. */
  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#socket.pause();
  }

  /**
   * Whether the next request may start: the one place that bounds what a
   * connection holds. Replies the socket has not sent count: a client that
   * does not read them gets no more answers until it does.
   */
  #canStartRequest(): boolean {
    const limits = this.#d.limits;
    const unsent = this.#socket.writableLength;
    if (this.#alone || unsent >= limits.maxReplyBytes) return false;
    if (this.#inFlight === 0) return true;
    if (this.#waiting) return false;
    return this.#inFlight < limits.maxInFlight && this.#inFlightBytes + unsent < limits.maxReplyBytes;
  }

  /** Resolves once the socket holds less than `maxReplyBytes` unsent, or has closed. */
  #room(): Promise<void> {
    if (this.#closed || this.#socket.writableLength < this.#d.limits.maxReplyBytes) return Promise.resolve();
    // 'drain' follows: a write that left this much queued returned false.
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  #wakeRoomWaiters(): void {
    for (const wake of this.#roomWaiters.splice(0)) wake();
  }

  // --- Transmission ------------------------------------------------------

  /** The handshake is over: requests go to the transmission phase from here on. */
  #transmit(n: NbdNegotiated): void {
    clearTimeout(this.#handshakeTimer);
    this.#connectedAt = this.#d.clock.now();
    const a = n.attached;
    this.#transmission = new NbdTransmissionPhase({
      attached: a,
      structured: n.structured,
      blockStatusContext: n.blockStatusContext,
      client: this.#d.client,
      log: this.#log,
      buffers: this.#d.buffers,
      link: {
        write: (buf, written) => this.#write(buf, written),
        end: (reason) => this.#end(reason),
        abort: (reason) => this.#abort(reason),
        room: () => this.#room(),
        closed: () => this.#closed,
      },
    });
    this.#log.info(
      {
        ip: this.#d.client.address,
        export: a.handle.name,
        cow: a.cow,
        structured: n.structured,
      },
      "nbd: client connected",
    );
    this.#d.bus.publish({
      type: "nbd.connect",
      ip: this.#d.client.address,
      mac: a.handle.mac,
      detail: {
        export: a.handle.name,
        client_port: this.#d.client.port,
        size: a.handle.size,
        read_only: !a.writable,
        cow: a.cow,
        structured_replies: n.structured,
      },
    });
  }

  /** Starts `req`; false when it must run alone and waits for those in flight (`#waiting`). */
  #request(req: Extract<NbdClientMessage, { kind: "request" }>): boolean {
    const t = this.#transmission!;
    const { bytes, alone } = t.footprint(req);
    if (alone && this.#inFlight > 0) {
      this.#waiting = req;
      return false;
    }
    const running = t.start(req);
    if (running === undefined) return true;
    this.#inFlight++;
    this.#inFlightBytes += bytes;
    this.#alone = alone;
    void running.then(() => this.#requestDone(bytes));
    return true;
  }

  #requestDone(bytes: number): void {
    this.#inFlight--;
    this.#inFlightBytes -= bytes;
    if (this.#inFlight === 0) {
      this.#alone = false;
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
    if (this.#draining) {
      if (this.#inFlight === 0) this.#socket.end();
    } else if (this.#paused) this.#pump(); // a limit was reached: take requests again
  }

  // --- Ending ------------------------------------------------------------

  /** Stop taking messages; close once the requests in flight are answered. */
  #end(reason: string): void {
    if (this.#draining || this.#closed) return;
    this.#closeReason = reason;
    this.#draining = true;
    this.#framer.close();
    if (this.#inFlight === 0 && !this.#optionBusy) this.#socket.end();
  }

  /** Hard disconnect: proto.md allows it when the other side breaks a MUST. */
  #abort(reason: string): void {
    if (this.#closed) return;
    this.#closeReason = reason;
    this.#log.warn({ ip: this.#d.client.address, reason }, "nbd: closing connection");
    this.#framer.close();
    this.#socket.destroy();
  }

  async #cleanup(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#handshakeTimer);
    this.#framer.close();
    this.#waiting = undefined;
    // Reads waiting for room find the connection closed and end.
    this.#wakeRoomWaiters();
    const t = this.#transmission;
    if (t) {
      const a = t.attached;
      const duration = this.#d.clock.now() - this.#connectedAt;
      // Requests still reading from the file end first; the export is
      // released before nbd.disconnect goes out, so whoever acts on the event
      // (removing an image version) finds it no longer in use.
      await this.#idle();
      try {
        await a.release();
      } catch (err) {
        this.#log.error(
          { export: a.handle.name, err: (err as Error).message },
          "nbd: releasing the export failed",
        );
      }
      const stats = t.stats;
      const detail = {
        export: a.handle.name,
        client_port: this.#d.client.port,
        bytes_read: stats.bytesRead,
        bytes_written: stats.bytesWritten,
        requests: stats.requests,
        duration_ms: duration,
        reason: this.#closeReason,
      };
      this.#log.info({ ip: this.#d.client.address, ...detail }, "nbd: client disconnected");
      this.#d.bus.publish({ type: "nbd.disconnect", ip: this.#d.client.address, mac: a.handle.mac, detail });
    }
    this.#d.onClosed(this);
  }

  #idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
