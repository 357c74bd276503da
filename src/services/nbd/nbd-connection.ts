/**
 * One NBD client connection: the socket, the framing of what the client
 * sends, flow control and the connection's life. What the bytes mean is the
 * handshake phase's and then the transmission phase's business; the
 * connection hands each whole message to the phase it belongs to.
 *
 * Flow control both ways: at most `maxInFlight` requests (and about
 * `maxInFlightBytes` of payload) run at once, and no new request starts
 * while the socket's write buffer is full; reading from the socket pauses
 * meanwhile, so TCP pushes back on a client that sends faster than the disk
 * or the network drains. During the handshake one option is answered at a
 * time.
 *
 * Bytes that break a MUST (wrong magic, unknown client flags) end this
 * connection only.
 */
import type { Socket } from "node:net";
import type { Clock, EventBus } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { NbdClientFramer } from "../../protocols/nbd/nbd-client-framer.js";
import { NBD_CMD_READ, NBD_CMD_WRITE, NBD_MAX_PAYLOAD_BYTES } from "../../protocols/nbd/nbd-constants.js";
import type { NbdRequest } from "../../protocols/nbd/nbd-transmission.js";
import type { CowLayers } from "./cow-layers.js";
import type { NbdClientInfo, NbdExportSource } from "./nbd-export-source.js";
import { NbdHandshakePhase, type NbdNegotiated } from "./nbd-handshake-phase.js";
import { NbdTransmissionPhase } from "./nbd-transmission-phase.js";
import type { ReplyBufferPool } from "./reply-buffer-pool.js";

export interface NbdConnectionLimits {
  readonly maxInFlight: number;
  readonly maxInFlightBytes: number;
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
    s.on("drain", () => this.#pump());
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
        const msg = this.#framer.next();
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
        } else {
          this.#request(msg);
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

  /** Whether the next request may start: the one place that bounds what a connection holds. */
  #canStartRequest(): boolean {
    if (this.#socket.writableNeedDrain) return false;
    if (this.#inFlight === 0) return true;
    return (
      this.#inFlight < this.#d.limits.maxInFlight && this.#inFlightBytes < this.#d.limits.maxInFlightBytes
    );
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

  #request(req: NbdRequest): void {
    const running = this.#transmission!.start(req);
    if (running === undefined) return;
    const bytes = req.type === NBD_CMD_READ || req.type === NBD_CMD_WRITE ? req.length : 0;
    this.#inFlight++;
    this.#inFlightBytes += bytes;
    void running.then(() => this.#requestDone(bytes));
  }

  #requestDone(bytes: number): void {
    this.#inFlight--;
    this.#inFlightBytes -= bytes;
    if (this.#inFlight === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
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
