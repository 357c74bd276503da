/**
 * The read-only TFTP server: RRQs arrive on the listening socket handed in;
 * each admitted one (tftp-admission.ts) gets its own socket and a
 * TftpTransfer. Files come from the boot planner first, then from the root
 * folder or a mount (tftp-source-opener.ts).
 *
 * Requests that are refused get an ERROR from the listening socket, one log
 * line and a `tftp.error` event, rate-limited per address
 * (tftp-refusal-reporter.ts). Malformed datagrams are logged and dropped.
 * RRQs beyond `maxTransfers`, or beyond `maxTransfersPerClient` from one
 * address, are dropped without an answer: the client retries.
 */
import type { BootPlanner } from "../../boot/boot-planner.js";
import { type BootEventInput, type Clock, type EventBus, systemClock } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { decode, encode } from "../../protocols/tftp/tftp-codec.js";
import { TftpDecodeError } from "../../protocols/tftp/tftp-decode-error.js";
import { negotiateReadOptions } from "../../protocols/tftp/tftp-options.js";
import { ErrorCode, Opcode, type RequestPacket, type TftpOption } from "../../protocols/tftp/tftp-packet.js";
import { FileCache, type FileCacheStats } from "../file-cache/file-cache.js";
import { ClientMacMemory } from "./client-mac-memory.js";
import { macFromFileName } from "./mac-from-file-name.js";
import type { NativeUdp } from "./native-udp.js";
import { reportTransferEnd, transferEndCount } from "./report-transfer-end.js";
import { TftpAdmission, type TftpSession } from "./tftp-admission.js";
import type { TftpMount } from "./tftp-file-resolver.js";
import { internalFailure, openFailure, TftpRefusal } from "./tftp-refusal.js";
import { TftpRefusalReporter } from "./tftp-refusal-reporter.js";
import { requestPath } from "./tftp-request-path.js";
import { type TftpServiceOptions, tftpServiceOptions } from "./tftp-service-options.js";
import { type OpenedSource, TftpSourceOpener } from "./tftp-source-opener.js";
import { systemTimers, type Timers } from "./timers.js";
import { TftpWorkerPool } from "./tftp-worker-pool.js";
import { InThreadTransferRunner, type TransferHandle, type TransferRunner } from "./transfer-runner.js";
import type { TransferSocketFactory, UdpRemote, UdpSocket } from "./udp-socket.js";

export { defaultTftpServiceOptions, type TftpServiceOptions } from "./tftp-service-options.js";

export interface TftpServiceDeps {
  /** The listening socket (port 69 in production, port 0 in tests); the caller binds and closes it. */
  readonly socket: UdpSocket;
  /** Makes one socket per transfer (for transfers run in this thread). */
  readonly createTransferSocket: TransferSocketFactory;
  /**
   * Run transfers in worker threads instead of this one, each making its own
   * connected sockets bound to `localAddress`. A lock-step transfer spends
   * most of its time in send/receive system calls, so several threads serve
   * a room of lock-step clients (iPXE, pxelinux) faster than one: in.tftpd
   * gets the same from one process per transfer. The listening socket, the
   * checks, the planner and the cache stay in this thread; cached files are
   * in shared memory, so workers send them without a copy. With `native`
   * (loadNativeUdp's addon) each worker runs its own epoll loop instead of
   * libuv's: one system call per packet less, and lock-step transfers as
   * fast as in.tftpd's (native-udp.ts); `busyPollUs` then lets each loop
   * poll that long before sleeping while transfers run (poll-loop.ts).
   */
  readonly transferWorkers?:
    | {
        readonly count: number;
        readonly localAddress: string;
        readonly native?: NativeUdp | null;
        readonly busyPollUs?: number;
      }
    | undefined;
  /**
   * Files kept in memory for all transfers; `bootfleet serve` hands in the
   * one it shares with HTTP. Default: a cache of its own.
   */
  readonly fileCache?: FileCache | undefined;
  /** The served root folder. */
  readonly root: string;
  /** Extra folders served under a prefix (per-image folders kept outside the root). */
  readonly mounts?: readonly TftpMount[] | undefined;
  readonly options?: Partial<TftpServiceOptions> | undefined;
  readonly planner: Pick<BootPlanner, "generatedFile">;
  readonly bus: Pick<EventBus, "publish">;
  readonly logger: Logger;
  readonly clock?: Clock | undefined;
  readonly timers?: Timers | undefined;
}

export interface TftpServiceStats {
  readonly active: number;
  readonly started: number;
  readonly completed: number;
  readonly failed: number;
  /** RRQs dropped because `maxTransfers` were running. */
  readonly busyDrops: number;
  /** RRQs dropped because their address ran `maxTransfersPerClient` already. */
  readonly clientDrops: number;
  readonly cache: FileCacheStats;
}

export class TftpService {
  readonly #d: TftpServiceDeps;
  readonly #o: TftpServiceOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #cache: FileCache;
  readonly #opener: TftpSourceOpener;
  readonly #runner: TransferRunner;
  readonly #admission: TftpAdmission;
  readonly #refusals: TftpRefusalReporter;
  readonly #macs = new ClientMacMemory();
  #started = 0;
  #completed = 0;
  #failed = 0;
  #running = false;

  readonly #onMessage = (msg: Buffer, rinfo: UdpRemote): void => {
    try {
      this.#request(msg, rinfo);
    } catch (e) {
      // Nothing a client sends may stop the server.
      this.#log.error({ ip: rinfo.address, err: (e as Error).message }, "tftp: request handling failed");
    }
  };
  readonly #onSocketError = (error: Error): void => {
    this.#log.warn({ err: error.message }, "tftp: socket error");
  };

  constructor(deps: TftpServiceDeps) {
    this.#d = deps;
    this.#o = tftpServiceOptions(deps.options);
    this.#log = deps.logger.child({ service: "tftp" });
    this.#clock = deps.clock ?? systemClock;
    this.#timers = deps.timers ?? systemTimers;
    this.#admission = new TftpAdmission(this.#o, this.#log);
    this.#cache = deps.fileCache ?? new FileCache();
    this.#opener = new TftpSourceOpener({
      root: deps.root,
      mounts: deps.mounts ?? [],
      caseInsensitive: this.#o.caseInsensitive,
      planner: deps.planner,
      cache: this.#cache,
      cacheMaxFileBytes: this.#o.cacheMaxFileBytes,
      readChunkBytes: this.#o.readChunkBytes,
    });
    this.#refusals = new TftpRefusalReporter(deps.socket, deps.bus, this.#log);
    const workers = deps.transferWorkers;
    this.#runner =
      workers !== undefined && workers.count > 0
        ? new TftpWorkerPool(
            workers.count,
            workers.localAddress,
            this.#log,
            workers.native ?? null,
            workers.busyPollUs ?? 0,
          )
        : new InThreadTransferRunner(deps.createTransferSocket, this.#clock, this.#timers);
  }

  get options(): TftpServiceOptions {
    return this.#o;
  }

  /** Starts answering requests on the listening socket. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#d.socket.on("message", this.#onMessage);
    this.#d.socket.on("error", this.#onSocketError);
  }

  /** Stops answering and ends every transfer; the listening socket stays open (its owner closes it). */
  close(): void {
    this.#running = false;
    this.#d.socket.off("message", this.#onMessage);
    this.#d.socket.off("error", this.#onSocketError);
    this.#admission.cancelAll("server stopping");
    this.#runner.close();
    this.#refusals.close();
    this.#admission.close();
  }

  setMounts(mounts: readonly TftpMount[]): void {
    this.#opener.setMounts(mounts);
  }

  stats(): TftpServiceStats {
    return {
      active: this.#admission.active,
      started: this.#started,
      completed: this.#completed,
      failed: this.#failed,
      busyDrops: this.#admission.busyDrops,
      clientDrops: this.#admission.clientDrops,
      cache: this.#cache.stats,
    };
  }

  /** Intake: decode, refuse writes, ignore stray ACKs and ERRORs, and sort out repeated RRQs. */
  #request(msg: Buffer, rinfo: UdpRemote): void {
    let packet: ReturnType<typeof decode>;
    try {
      packet = decode(msg);
    } catch (e) {
      if (!(e instanceof TftpDecodeError)) throw e;
      this.#log.warn(
        { ip: rinfo.address, port: rinfo.port, err: e.message },
        "tftp: malformed packet dropped",
      );
      return;
    }
    if (packet.opcode === Opcode.WRQ) {
      this.#refuse(
        rinfo,
        packet.filename,
        new TftpRefusal(
          ErrorCode.ACCESS_VIOLATION,
          "Access violation",
          "write request on a read-only server",
        ),
      );
      return;
    }
    if (packet.opcode !== Opcode.RRQ) {
      // A late ACK or ERROR for a finished transfer sent to port 69: nothing to do.
      this.#log.debug(
        { ip: rinfo.address, opcode: packet.opcode },
        "tftp: non-request on the listening port ignored",
      );
      return;
    }
    const key = `${rinfo.address}:${rinfo.port}`;
    const existing = this.#admission.session(key);
    if (existing !== undefined) {
      if (existing.raw.equals(msg)) {
        // The same RRQ again from the same port: either our first packet was
        // lost, or (OVMF) the client aborted with an ERROR that is waiting on
        // the transfer socket and now asks again. Let pending I/O run first
        // so that ERROR is seen, then decide.
        this.#timers.setImmediate(() => {
          if (!this.#running) return;
          const now = this.#admission.session(key);
          if (now === undefined) {
            this.#accept(key, msg, rinfo, packet);
            return;
          }
          if (now !== existing || existing.cancelled) return;
          // Wait until it has started (a worker may not have said so yet).
          void existing.started.then(async () => {
            const t = existing.transfer;
            const alive = t === null ? false : await t.stillRunning();
            // Ended meanwhile (a transfer worker saw the ERROR first): a new request.
            if (!alive && this.#running && this.#admission.session(key) === undefined)
              this.#accept(key, msg, rinfo, packet);
          });
        });
        return;
      }
      // Another request from the same port: the client gave up on the old one.
      existing.cancelled = true;
      existing.transfer?.abort("superseded by a new request from the same port");
      this.#admission.forget(key, existing);
    }
    this.#accept(key, msg, rinfo, packet);
  }

  #accept(key: string, msg: Buffer, rinfo: UdpRemote, packet: RequestPacket): void {
    const session = this.#admission.admit(key, msg, rinfo, packet.filename);
    if (session === null) return;
    this.#started++;
    session.started = this.#serve(key, session, packet).catch((e: unknown) => {
      this.#log.error(
        { ip: rinfo.address, file: packet.filename, err: (e as Error).message },
        "tftp: transfer setup failed",
      );
      this.#admission.forget(key, session);
    });
  }

  async #serve(key: string, session: TftpSession, rrq: RequestPacket): Promise<void> {
    const ip = session.client.address;
    const checked = requestPath(rrq.filename);
    const nameMac = checked.ok ? macFromFileName(checked.path) : undefined;
    if (nameMac !== undefined) this.#macs.remember(ip, nameMac);
    const mac = nameMac ?? this.#macs.get(ip);
    const request: BootEventInput = {
      type: "tftp.rrq",
      ip,
      mac,
      detail: { file: rrq.filename, mode: rrq.mode, options: optionRecord(rrq.options) },
    };

    let opened: OpenedSource;
    try {
      if (rrq.mode !== "octet" && rrq.mode !== "netascii")
        throw new TftpRefusal(
          ErrorCode.ILLEGAL_OPERATION,
          "Illegal TFTP operation: unsupported mode",
          `unsupported mode '${rrq.mode}'`,
        );
      if (!checked.ok) throw new TftpRefusal(ErrorCode.ACCESS_VIOLATION, "Access violation", checked.reason);
      opened = await this.#opener.open(checked.path, rrq.mode === "netascii", { ip, mac });
    } catch (e) {
      this.#admission.forget(key, session);
      if (session.cancelled) return;
      this.#refuse(
        session.client,
        rrq.filename,
        e instanceof TftpRefusal ? e : internalFailure(e),
        mac,
        request,
      );
      return;
    }
    const { source, generated } = opened;
    this.#d.bus.publish(request);
    if (session.cancelled) return;

    const size = source.kind === "buffer" ? source.body.length : source.size;
    const negotiated = negotiateReadOptions(rrq.options, size, {
      maxBlksize: this.#o.maxBlksize,
      maxWindowsize: this.#o.maxWindowsize,
      maxWindowBytes: this.#o.maxWindowBytes,
    });
    if (negotiated.ignored.length > 0)
      this.#log.debug({ ip, file: rrq.filename, ignored: negotiated.ignored }, "tftp: options ignored");

    const retransmitMs = negotiated.timeoutMs ?? this.#o.retransmitMs;
    let handle: TransferHandle;
    try {
      handle = await this.#runner.start(
        {
          client: session.client,
          source,
          blksize: negotiated.blksize,
          windowsize: negotiated.windowsize,
          oack: negotiated.oack.length > 0 ? encode({ opcode: Opcode.OACK, options: negotiated.oack }) : null,
          timing: {
            retransmitMs,
            maxRetransmitMs: Math.max(this.#o.maxRetransmitMs, retransmitMs),
            maxRetries: this.#o.maxRetries,
            transferTimeoutMs: this.#o.transferTimeoutMs,
          },
        },
        {
          onEnd: (summary) => {
            this.#admission.forget(key, session);
            const count = transferEndCount(summary);
            if (count === "completed") this.#completed++;
            else if (count === "failed") this.#failed++;
            reportTransferEnd(
              {
                client: session.client,
                file: rrq.filename,
                summary,
                blksize: negotiated.blksize,
                windowsize: negotiated.windowsize,
                generated,
                mac: nameMac ?? this.#macs.get(ip),
              },
              this.#log,
              this.#d.bus,
            );
          },
          onNote: (note, detail) => this.#log.debug({ ip, file: rrq.filename, ...detail }, `tftp: ${note}`),
        },
      );
    } catch (e) {
      this.#admission.forget(key, session);
      if (!session.cancelled) this.#refuse(session.client, rrq.filename, openFailure(e), mac);
      return;
    }
    session.transfer = handle;
    // Stopped or superseded while the socket was being made.
    if (session.cancelled) handle.abort("cancelled while starting");
  }

  /** `request`: the RRQ's own event, published with the refusal's (or counted with it in a flood). */
  #refuse(
    client: UdpRemote,
    file: string,
    refusal: TftpRefusal,
    mac?: string,
    request?: BootEventInput,
  ): void {
    this.#failed++;
    this.#refusals.refuse(client, file, refusal, mac, request);
  }
}

/** The RRQ's options for its event: the first value of an option sent twice. */
function optionRecord(options: readonly TftpOption[]): Record<string, string> {
  const first = new Map<string, string>();
  for (const o of options) if (!first.has(o.name)) first.set(o.name, o.value);
  return Object.fromEntries(first);
}
