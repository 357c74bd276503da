/**
 * One NBD client connection: the fixed-newstyle handshake, then the
 * transmission phase over one export handle (and its copy-on-write layer).
 *
 * Flow control both ways: at most `maxInFlight` requests (and about
 * `maxInFlightBytes` of payload) run at once, and no new request starts
 * while the socket's write buffer is full; reading from the socket pauses
 * meanwhile, so TCP pushes back on a client that sends faster than the disk
 * or the network drains. Replies go out as each request completes, so
 * pipelined requests can be answered out of order (proto.md allows it;
 * every reply carries its request's handle).
 *
 * Bytes that break a MUST (wrong magic, unknown client flags) end this
 * connection only; an option with bad data gets NBD_REP_ERR_INVALID and the
 * handshake goes on.
 */
import type { Socket } from "node:net";
import type { Clock, EventBus } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { NbdClientFramer } from "../../protocols/nbd/nbd-client-framer.js";
import {
  NBD_CMD_READ,
  NBD_CMD_WRITE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_FLAG_FIXED_NEWSTYLE,
  NBD_FLAG_NO_ZEROES,
  NBD_INFO_BLOCK_SIZE,
  NBD_INFO_DESCRIPTION,
  NBD_INFO_NAME,
  NBD_MAX_PAYLOAD_BYTES,
  NBD_OPT_EXPORT_NAME,
  NBD_OPT_GO,
  NBD_OPT_LIST,
  NBD_REP_ERR_INVALID,
  NBD_REP_ERR_POLICY,
  NBD_REP_ERR_UNKNOWN,
  NBD_REP_ERR_UNSUP,
  optionNames,
} from "../../protocols/nbd/nbd-constants.js";
import {
  checkClientFlags,
  decodeOption,
  encodeAck,
  encodeExportNameReply,
  encodeGreeting,
  encodeInfoBlockSize,
  encodeInfoExport,
  encodeInfoString,
  encodeMetaContext,
  encodeOptionError,
  encodeRepServer,
  type NbdOption,
} from "../../protocols/nbd/nbd-handshake.js";
import { NbdOptionError } from "../../protocols/nbd/nbd-protocol-error.js";
import type { NbdRequest } from "../../protocols/nbd/nbd-transmission.js";
import { AttachedExport } from "./attached-export.js";
import type { CowLayers } from "./cow-layers.js";
import type { NbdClientInfo, NbdExportHandle, NbdExportSource } from "./nbd-export-source.js";
import type { ReplyBufferPool } from "./reply-buffer-pool.js";
import { NbdTransmissionPhase } from "./nbd-transmission-phase.js";

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

/** The one metadata context served (proto.md "base:allocation metadata context"). */
const BASE_ALLOCATION = "base:allocation";
const BASE_ALLOCATION_ID = 1;
/** What NBD_INFO_BLOCK_SIZE advertises: any alignment, 4 KiB preferred, 32 MiB per request. */
const BLOCK_MIN = 1;
const BLOCK_PREFERRED = 4096;

export class NbdConnection {
  readonly #d: NbdConnectionDeps;
  readonly #socket: Socket;
  readonly #log: Logger;
  readonly #framer = new NbdClientFramer({ maxPayloadBytes: NBD_MAX_PAYLOAD_BYTES });
  #noZeroes = false;
  #structured = false;
  /** Export named by the last successful NBD_OPT_SET_META_CONTEXT that selected base:allocation. */
  #metaExport: string | undefined;
  #attached: AttachedExport | undefined;
  /** base:allocation was selected for the attached export: NBD_CMD_BLOCK_STATUS is allowed. */
  #blockStatus = false;
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
  #transmission: NbdTransmissionPhase | undefined;
  #closeReason = "client closed";
  #handshakeTimer: NodeJS.Timeout | undefined;
  readonly #idleWaiters: (() => void)[] = [];

  constructor(deps: NbdConnectionDeps) {
    this.#d = deps;
    this.#socket = deps.socket;
    this.#log = deps.log;
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
      if (!this.#attached) this.#abort("handshake timed out");
    }, this.#d.limits.handshakeTimeoutMs);
    this.#handshakeTimer.unref();
    this.#write(encodeGreeting(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES));
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
          const flags = checkClientFlags(msg.flags, true);
          this.#noZeroes = (flags & NBD_FLAG_C_NO_ZEROES) !== 0;
        } else if (msg.kind === "option") {
          this.#optionBusy = true;
          this.#pause();
          this.#option(msg.option, msg.data).then(
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

  #canStartRequest(): boolean {
    if (this.#socket.writableNeedDrain) return false;
    if (this.#inFlight === 0) return true;
    return (
      this.#inFlight < this.#d.limits.maxInFlight && this.#inFlightBytes < this.#d.limits.maxInFlightBytes
    );
  }

  // --- Handshake ---------------------------------------------------------

  async #option(code: number, data: Buffer): Promise<void> {
    let opt: NbdOption;
    try {
      opt = decodeOption(code, data);
    } catch (err) {
      if (!(err instanceof NbdOptionError)) throw err;
      // NBD_OPT_EXPORT_NAME cannot be answered with an error (proto.md).
      if (code === NBD_OPT_EXPORT_NAME) throw err;
      if (code === NBD_OPT_GO) this.#framer.resumeOptions();
      this.#log.debug({ option: optionNames[code] ?? code, err: err.message }, "nbd: invalid option");
      this.#write(encodeOptionError(code, NBD_REP_ERR_INVALID, err.message));
      return;
    }
    switch (opt.type) {
      case "abort":
        // The client drops the connection after the ACK; it MAY not wait for it.
        this.#write(encodeAck(code));
        this.#end("client aborted the handshake");
        return;
      case "list": {
        for (const e of await this.#d.source.list()) this.#write(encodeRepServer(e.name, e.description));
        this.#write(encodeAck(NBD_OPT_LIST));
        return;
      }
      case "structured-reply":
        this.#structured = true;
        this.#write(encodeAck(code));
        return;
      case "list-meta-context":
      case "set-meta-context":
        this.#metaContext(code, opt.type === "set-meta-context", opt.exportName, opt.queries);
        return;
      case "export-name":
        await this.#exportName(opt.name);
        return;
      case "info":
      case "go":
        await this.#infoOrGo(code, opt.type === "go", opt.name, opt.requests);
        return;
      case "unsupported":
        this.#write(
          encodeOptionError(code, NBD_REP_ERR_UNSUP, `option ${optionNames[code] ?? code} is not supported`),
        );
        return;
    }
  }

  #metaContext(code: number, set: boolean, exportName: string, queries: readonly string[]): void {
    if (set) this.#metaExport = undefined;
    if (!this.#structured) {
      // Block status replies are structured: the contexts need them first.
      this.#write(encodeOptionError(code, NBD_REP_ERR_INVALID, "negotiate NBD_OPT_STRUCTURED_REPLY first"));
      return;
    }
    // LIST with no query lists everything; "base:" is the namespace wildcard
    // for LIST and selects nothing for SET (proto.md "The base: metadata namespace").
    const match = set
      ? queries.includes(BASE_ALLOCATION)
      : queries.length === 0 || queries.some((q) => q === BASE_ALLOCATION || q === "base:");
    if (match) {
      this.#write(encodeMetaContext(code, set ? BASE_ALLOCATION_ID : 0, BASE_ALLOCATION));
      if (set) this.#metaExport = exportName;
    }
    this.#write(encodeAck(code));
  }

  async #open(name: string): Promise<NbdExportHandle | null> {
    try {
      return await this.#d.source.open(name, this.#d.client);
    } catch (err) {
      this.#log.error({ export: name, err: (err as Error).message }, "nbd: opening the export failed");
      return null;
    }
  }

  async #exportName(name: string): Promise<void> {
    const handle = await this.#open(name);
    if (!handle) {
      // No error reply exists for NBD_OPT_EXPORT_NAME: the server MUST terminate the session.
      this.#abort(`no export '${name}'`);
      return;
    }
    const attached = await this.#attach(handle, name);
    this.#write(encodeExportNameReply(attached.handle.size, attached.flags, this.#noZeroes));
    this.#transmissionStarted();
  }

  async #infoOrGo(code: number, go: boolean, name: string, requests: readonly number[]): Promise<void> {
    const handle = await this.#open(name);
    if (!handle) {
      if (go) this.#framer.resumeOptions();
      this.#write(encodeOptionError(code, NBD_REP_ERR_UNKNOWN, `no export '${name}'`));
      return;
    }
    let attached: AttachedExport | undefined;
    let flags: number;
    if (go) {
      try {
        attached = await this.#attach(handle, name);
      } catch (err) {
        this.#framer.resumeOptions();
        this.#log.error(
          { export: handle.name, err: (err as Error).message },
          "nbd: copy-on-write layer failed",
        );
        this.#write(
          encodeOptionError(code, NBD_REP_ERR_POLICY, "the copy-on-write layer could not be created"),
        );
        return;
      }
      flags = attached.flags;
    } else {
      flags = AttachedExport.flagsFor(handle, this.#structured);
      await handle.release();
    }
    // NBD_INFO_EXPORT is mandatory; the others only when asked for.
    this.#write(encodeInfoExport(code, handle.size, flags));
    for (const info of new Set(requests)) {
      if (info === NBD_INFO_NAME) this.#write(encodeInfoString(code, NBD_INFO_NAME, handle.name));
      else if (info === NBD_INFO_DESCRIPTION) {
        this.#write(encodeInfoString(code, NBD_INFO_DESCRIPTION, handle.description));
      } else if (info === NBD_INFO_BLOCK_SIZE) {
        this.#write(encodeInfoBlockSize(code, BLOCK_MIN, BLOCK_PREFERRED, NBD_MAX_PAYLOAD_BYTES));
      }
    }
    this.#write(encodeAck(code));
    if (go) {
      this.#framer.enterTransmission();
      this.#transmissionStarted();
    }
  }

  async #attach(handle: NbdExportHandle, requestedName: string): Promise<AttachedExport> {
    const attached = await AttachedExport.attach(handle, this.#d.cow, this.#structured);
    this.#blockStatus = this.#structured && this.#metaExport === requestedName;
    this.#attached = attached;
    return attached;
  }

  #transmissionStarted(): void {
    clearTimeout(this.#handshakeTimer);
    this.#connectedAt = this.#d.clock.now();
    const a = this.#attached!;
    this.#transmission = new NbdTransmissionPhase({
      attached: a,
      structured: this.#structured,
      blockStatusContext: this.#blockStatus ? BASE_ALLOCATION_ID : undefined,
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
        structured: this.#structured,
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
        structured_replies: this.#structured,
      },
    });
  }

  // --- Transmission ------------------------------------------------------

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
    const a = this.#attached;
    this.#attached = undefined;
    if (a) {
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
      const stats = this.#transmission?.stats ?? { bytesRead: 0, bytesWritten: 0, requests: 0 };
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
