/**
 * The read-only TFTP server: RRQs arrive on the listening socket handed in;
 * each accepted one gets its own socket and a TftpTransfer. Files come from
 * the boot planner first (per-machine pxelinux/GRUB/iPXE files that are never
 * written to disk), then from the root folder or a mount.
 *
 * Requests that are refused get an ERROR from the listening socket, one log
 * line and a `tftp.error` event; from an address that keeps asking, one line
 * and one event per 10 s say how many there were. Malformed datagrams are logged and dropped.
 * When `maxTransfers` are running, further RRQs are dropped without an answer:
 * every client retransmits its RRQ, so it is served when a slot frees, where
 * an ERROR would have failed its boot. So are RRQs from an address that runs
 * `maxTransfersPerClient` already: one address that never acknowledges
 * holds at most that many slots, each until its retransmissions run out.
 */
import type { BootPlanner } from "../../boot/boot-planner.js";
import { DEFAULT_MAX_TRANSFERS, DEFAULT_MAX_TRANSFERS_PER_CLIENT } from "../../config/config-schema.js";
import { type BootEventInput, type Clock, type EventBus, systemClock } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { type FloodSummary, OTHER_SOURCES, RateLimitedLog } from "../../logging/rate-limited-log.js";
import { toNetascii } from "../../protocols/tftp/netascii.js";
import { decode, encode } from "../../protocols/tftp/tftp-codec.js";
import { TftpDecodeError } from "../../protocols/tftp/tftp-decode-error.js";
import { negotiateReadOptions } from "../../protocols/tftp/tftp-options.js";
import {
  ErrorCode,
  errorText,
  Opcode,
  type RequestPacket,
  type TftpOption,
} from "../../protocols/tftp/tftp-packet.js";
import { FileCache, type FileCacheStats } from "../file-cache/file-cache.js";
import { macFromFileName } from "./mac-from-file-name.js";
import { systemTimers, type Timers } from "./timers.js";
import { type TftpMount, TftpFileResolver } from "./tftp-file-resolver.js";
import { requestPath } from "./tftp-request-path.js";
import type { TransferSummary } from "./tftp-transfer.js";
import type { NativeUdp } from "./native-udp.js";
import { TftpWorkerPool } from "./tftp-worker-pool.js";
import { InThreadTransferRunner, type TransferHandle, type TransferRunner } from "./transfer-runner.js";
import type { TransferSourceSpec } from "./transfer-source.js";
import type { TransferSocketFactory, UdpRemote, UdpSocket } from "./udp-socket.js";

export interface TftpServiceOptions {
  /** Transfers running at once; RRQs beyond are dropped (the client retries). */
  readonly maxTransfers: number;
  /** `services.tftp.max_transfers_per_client`: transfers one address runs at once; its RRQs beyond are dropped. */
  readonly maxTransfersPerClient: number;
  /** `services.tftp.case_insensitive`: fall back to a case-insensitive match when the exact name is missing. */
  readonly caseInsensitive: boolean;
  /** First retransmission delay, ms. */
  readonly retransmitMs: number;
  /** Ceiling of the doubling retransmission delay, ms. */
  readonly maxRetransmitMs: number;
  /** Retransmissions in a row without an answer before a transfer is dropped. */
  readonly maxRetries: number;
  /** Deadline for one whole transfer, ms. */
  readonly transferTimeoutMs: number;
  /** Largest blksize granted (RFC 2348 allows up to 65464). */
  readonly maxBlksize: number;
  /** Largest windowsize granted (RFC 7440). */
  readonly maxWindowsize: number;
  /** Cap on blksize * windowsize. */
  readonly maxWindowBytes: number;
  /**
   * Files larger than this (or than the file cache's budget) are streamed
   * from disk per transfer, not kept in memory.
   */
  readonly cacheMaxFileBytes: number;
  /** Read size for streamed files. */
  readonly readChunkBytes: number;
}

export const defaultTftpServiceOptions: TftpServiceOptions = Object.freeze({
  maxTransfers: DEFAULT_MAX_TRANSFERS,
  maxTransfersPerClient: DEFAULT_MAX_TRANSFERS_PER_CLIENT,
  caseInsensitive: false,
  retransmitMs: 1000,
  maxRetransmitMs: 8000,
  maxRetries: 6,
  transferTimeoutMs: 30 * 60_000,
  maxBlksize: 65464,
  maxWindowsize: 64,
  maxWindowBytes: 1 << 20,
  cacheMaxFileBytes: 128 << 20,
  readChunkBytes: 2 << 20,
});

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

/** A request being prepared or served, keyed by the client's address and port. */
interface Session {
  readonly raw: Buffer;
  readonly client: UdpRemote;
  transfer: TransferHandle | null;
  cancelled: boolean;
  /** Settles once the transfer is running or the request was refused. */
  started: Promise<void>;
}

class Refusal extends Error {
  constructor(
    readonly code: number,
    readonly clientMessage: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const MAC_MEMORY = 4096;

/**
 * Lines and events per address and 10 s for RRQs of missing files before
 * they are only counted: pxelinux looks for its config under up to ten
 * names (01-<mac>, the address in hex shortened digit by digit, "default"),
 * any of which may be missing, and each is worth seeing.
 */
const MISSING_FILE_BURST = 10;
/** The same for other refusals: a probe for path escapes is worth reading name by name, a flood of them is not. */
const REFUSAL_BURST = 32;

export class TftpService {
  readonly #d: TftpServiceDeps;
  readonly #o: TftpServiceOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #resolver: TftpFileResolver;
  readonly #cache: FileCache;
  /** Largest file kept in memory: cacheMaxFileBytes, within the cache's budget. */
  readonly #cacheMaxFile: number;
  readonly #runner: TransferRunner;
  readonly #sessions = new Map<string, Session>();
  /** Sessions per client address, for `maxTransfersPerClient`. */
  readonly #perClient = new Map<string, number>();
  readonly #clientDropLog: RateLimitedLog;
  /** What file names told us: client IP -> MAC, for events about later requests. */
  readonly #macByIp = new Map<string, string>();
  /** Refused RRQs: a peer sends them as fast as it likes, so lines and events are rate-limited per address. */
  readonly #missing: RateLimitedLog;
  readonly #refused: RateLimitedLog;
  #started = 0;
  #completed = 0;
  #failed = 0;
  #busyDrops = 0;
  #clientDrops = 0;
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
    this.#o = Object.freeze({ ...defaultTftpServiceOptions, ...stripUndefined(deps.options ?? {}) });
    this.#log = deps.logger.child({ service: "tftp" });
    this.#clock = deps.clock ?? systemClock;
    this.#timers = deps.timers ?? systemTimers;
    this.#clientDropLog = new RateLimitedLog({
      logger: this.#log,
      what: "requests dropped at max_transfers_per_client",
    });
    this.#resolver = new TftpFileResolver(deps.root, {
      caseInsensitive: this.#o.caseInsensitive,
      mounts: deps.mounts ?? [],
    });
    this.#cache = deps.fileCache ?? new FileCache();
    // One event for the requests of a flood that got no event of their own.
    const floodEvent = (s: FloodSummary): void => {
      const { ip: _ip, port: _port, ...last } = s.last;
      deps.bus.publish({
        type: "tftp.error",
        ip: s.source === OTHER_SOURCES ? undefined : s.source,
        detail: { ...last, repeated: s.count, window_ms: s.windowMs },
      });
    };
    this.#missing = new RateLimitedLog({
      logger: this.#log,
      level: "info",
      what: "requests for missing files",
      burst: MISSING_FILE_BURST,
      onSummary: floodEvent,
    });
    this.#refused = new RateLimitedLog({
      logger: this.#log,
      what: "refused requests",
      burst: REFUSAL_BURST,
      onSummary: floodEvent,
    });
    this.#cacheMaxFile = Math.min(this.#o.cacheMaxFileBytes, this.#cache.maxBytes);
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
    for (const s of [...this.#sessions.values()]) {
      s.cancelled = true;
      s.transfer?.abort("server stopping");
    }
    this.#sessions.clear();
    this.#perClient.clear();
    this.#runner.close();
    this.#missing.close();
    this.#refused.close();
    this.#clientDropLog.close();
  }

  setMounts(mounts: readonly TftpMount[]): void {
    this.#resolver.setMounts(mounts);
  }

  stats(): TftpServiceStats {
    return {
      active: this.#sessions.size,
      started: this.#started,
      completed: this.#completed,
      failed: this.#failed,
      busyDrops: this.#busyDrops,
      clientDrops: this.#clientDrops,
      cache: this.#cache.stats,
    };
  }

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
        new Refusal(ErrorCode.ACCESS_VIOLATION, "Access violation", "write request on a read-only server"),
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
    const existing = this.#sessions.get(key);
    if (existing !== undefined) {
      if (existing.raw.equals(msg)) {
        // The same RRQ again from the same port: either our first packet was
        // lost, or (OVMF) the client aborted with an ERROR that is waiting on
        // the transfer socket and now asks again. Let pending I/O run first
        // so that ERROR is seen, then decide.
        this.#timers.setImmediate(() => {
          if (!this.#running) return;
          const now = this.#sessions.get(key);
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
            if (!alive && this.#running && this.#sessions.get(key) === undefined)
              this.#accept(key, msg, rinfo, packet);
          });
        });
        return;
      }
      // Another request from the same port: the client gave up on the old one.
      existing.cancelled = true;
      existing.transfer?.abort("superseded by a new request from the same port");
      this.#forget(key, existing);
    }
    this.#accept(key, msg, rinfo, packet);
  }

  #accept(key: string, msg: Buffer, rinfo: UdpRemote, packet: RequestPacket): void {
    if (this.#sessions.size >= this.#o.maxTransfers) {
      this.#busyDrops++;
      this.#log.debug(
        { ip: rinfo.address, file: packet.filename },
        "tftp: busy, request dropped (client will retry)",
      );
      return;
    }
    const fromClient = this.#perClient.get(rinfo.address) ?? 0;
    if (fromClient >= this.#o.maxTransfersPerClient) {
      this.#clientDrops++;
      this.#clientDropLog.log(
        rinfo.address,
        { ip: rinfo.address, file: packet.filename, transfers: fromClient },
        "tftp: client runs max_transfers_per_client already, request dropped (it will retry)",
      );
      return;
    }
    const session: Session = {
      raw: Buffer.from(msg),
      client: { address: rinfo.address, port: rinfo.port },
      transfer: null,
      cancelled: false,
      started: Promise.resolve(),
    };
    this.#sessions.set(key, session);
    this.#perClient.set(rinfo.address, fromClient + 1);
    this.#started++;
    session.started = this.#serve(key, session, packet).catch((e: unknown) => {
      this.#log.error(
        { ip: rinfo.address, file: packet.filename, err: (e as Error).message },
        "tftp: transfer setup failed",
      );
      this.#forget(key, session);
    });
  }

  #forget(key: string, session: Session): void {
    if (this.#sessions.get(key) !== session) return;
    this.#sessions.delete(key);
    const address = session.client.address;
    const left = (this.#perClient.get(address) ?? 1) - 1;
    if (left > 0) this.#perClient.set(address, left);
    else this.#perClient.delete(address);
  }

  async #serve(key: string, session: Session, rrq: RequestPacket): Promise<void> {
    const ip = session.client.address;
    const checked = requestPath(rrq.filename);
    const nameMac = checked.ok ? macFromFileName(checked.path) : undefined;
    if (nameMac !== undefined) this.#rememberMac(ip, nameMac);
    const mac = nameMac ?? this.#macByIp.get(ip);
    const request: BootEventInput = {
      type: "tftp.rrq",
      ip,
      mac,
      detail: { file: rrq.filename, mode: rrq.mode, options: optionRecord(rrq.options) },
    };

    let source: TransferSourceSpec;
    let generated = false;
    try {
      if (rrq.mode !== "octet" && rrq.mode !== "netascii")
        throw new Refusal(
          ErrorCode.ILLEGAL_OPERATION,
          "Illegal TFTP operation: unsupported mode",
          `unsupported mode '${rrq.mode}'`,
        );
      if (!checked.ok) throw new Refusal(ErrorCode.ACCESS_VIOLATION, "Access violation", checked.reason);
      const opened = await this.#open(checked.path, rrq.mode === "netascii", { ip, mac });
      source = opened.source;
      generated = opened.generated;
    } catch (e) {
      this.#forget(key, session);
      if (session.cancelled) return;
      this.#refuse(session.client, rrq.filename, e instanceof Refusal ? e : internal(e), mac, request);
      return;
    }
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
            this.#forget(key, session);
            this.#finished(session.client, rrq, summary, {
              blksize: negotiated.blksize,
              windowsize: negotiated.windowsize,
              generated,
              mac: nameMac ?? this.#macByIp.get(ip),
            });
          },
          onNote: (note, detail) => this.#log.debug({ ip, file: rrq.filename, ...detail }, `tftp: ${note}`),
        },
      );
    } catch (e) {
      this.#forget(key, session);
      if (!session.cancelled) this.#refuse(session.client, rrq.filename, openFailure(e), mac);
      return;
    }
    session.transfer = handle;
    // Stopped or superseded while the socket was being made.
    if (session.cancelled) handle.abort("cancelled while starting");
  }

  /** Planner first, then the disk. */
  async #open(
    path: string,
    netascii: boolean,
    who: { ip: string; mac: string | undefined },
  ): Promise<{ source: TransferSourceSpec; generated: boolean }> {
    let file: Awaited<ReturnType<BootPlanner["generatedFile"]>>;
    try {
      file = await this.#d.planner.generatedFile(
        path,
        who.mac === undefined ? { ip: who.ip } : { ip: who.ip, mac: who.mac },
      );
    } catch (e) {
      throw new Refusal(
        ErrorCode.NOT_DEFINED,
        "Server error",
        `boot planner failed: ${(e as Error).message}`,
      );
    }
    // A default the planner offers (unlessOnDisk) yields to the administrator's own file.
    if (file !== null && (!file.unlessOnDisk || (await this.#resolver.resolve(path)).kind !== "file"))
      return {
        source: { kind: "buffer", body: netascii ? toNetascii(file.body) : file.body },
        generated: true,
      };

    const found = await this.#resolver.resolve(path);
    if (found.kind === "not-found") throw new Refusal(ErrorCode.FILE_NOT_FOUND, errorText[1]!, found.reason);
    if (found.kind === "violation")
      throw new Refusal(ErrorCode.ACCESS_VIOLATION, "Access violation", found.reason);
    if (found.stat.size > this.#cacheMaxFile) {
      if (netascii)
        throw new Refusal(
          ErrorCode.NOT_DEFINED,
          "File too large for netascii mode",
          `netascii of a file over ${this.#o.cacheMaxFileBytes} bytes`,
        );
      const st = found.stat;
      return {
        source: {
          kind: "file",
          realPath: found.realPath,
          size: st.size,
          dev: st.dev,
          ino: st.ino,
          chunkBytes: this.#o.readChunkBytes,
        },
        generated: false,
      };
    }
    try {
      const body = await this.#cache.read(found.realPath, found.stat);
      return { source: { kind: "buffer", body: netascii ? toNetascii(body) : body }, generated: false };
    } catch (e) {
      throw openFailure(e);
    }
  }

  /** `request`: the RRQ's own event, published with the refusal's (or counted with it in a flood). */
  #refuse(client: UdpRemote, file: string, refusal: Refusal, mac?: string, request?: BootEventInput): void {
    this.#d.socket.send(
      encode({ opcode: Opcode.ERROR, code: refusal.code, message: refusal.clientMessage }),
      client.port,
      client.address,
    );
    this.#failed++;
    const detail = {
      file,
      code: refusal.code,
      error: refusal.clientMessage,
      reason: refusal.reason,
      source: "server",
    };
    const line = { ip: client.address, port: client.port, ...detail };
    // The event goes with the line: a flood is one line and one event per
    // 10 s, with the count (see rate-limited-log.ts).
    const written =
      refusal.code === ErrorCode.FILE_NOT_FOUND
        ? this.#missing.log(client.address, line, "tftp: file not found")
        : this.#refused.log(
            client.address,
            line,
            refusal.code === ErrorCode.ACCESS_VIOLATION ? "tftp: access violation" : "tftp: request refused",
          );
    if (!written) return;
    if (request) this.#d.bus.publish(request);
    this.#d.bus.publish({ type: "tftp.error", ip: client.address, mac, detail });
  }

  #finished(
    client: UdpRemote,
    rrq: RequestPacket,
    summary: TransferSummary,
    info: { blksize: number; windowsize: number; generated: boolean; mac: string | undefined },
  ): void {
    const { result } = summary;
    const ip = client.address;
    const common = {
      file: rrq.filename,
      bytes: summary.bytes,
      duration_ms: summary.durationMs,
      blksize: info.blksize,
      windowsize: info.windowsize,
      retransmits: summary.retransmits,
      generated: info.generated,
    };
    if (result.kind === "done") {
      this.#completed++;
      this.#log.debug({ ip, ...common }, "tftp: sent");
      this.#d.bus.publish({ type: "tftp.done", ip, mac: info.mac, detail: common });
      return;
    }
    if (result.kind === "client-error" && result.beforeData) {
      // OVMF (EDK2 PxeBcTftpGetFileSize) asks with tsize, reads the size from
      // the OACK and aborts with an ERROR, then asks again for the data. That
      // is a normal step of its boot, not a failure.
      this.#completed++;
      this.#log.debug(
        { ip, file: rrq.filename, code: result.code, msg: result.message },
        "tftp: client ended after the OACK (size probe)",
      );
      return;
    }
    if (result.kind === "aborted") {
      this.#log.debug({ ip, file: rrq.filename, reason: result.message }, "tftp: transfer aborted");
      return;
    }
    this.#failed++;
    const detail =
      result.kind === "client-error"
        ? { ...common, code: result.code, error: result.message, source: "client" }
        : { ...common, error: result.message, source: "server" };
    this.#log.info(
      { ip, ...detail },
      result.kind === "client-error"
        ? "tftp: client ended the transfer"
        : `tftp: transfer failed (${result.kind})`,
    );
    this.#d.bus.publish({ type: "tftp.error", ip, mac: info.mac, detail });
  }

  #rememberMac(ip: string, mac: string): void {
    this.#macByIp.delete(ip);
    this.#macByIp.set(ip, mac);
    if (this.#macByIp.size > MAC_MEMORY) {
      const oldest = this.#macByIp.keys().next().value;
      if (oldest !== undefined) this.#macByIp.delete(oldest);
    }
  }
}

/** A file that passed the checks but cannot be opened or read now. */
function openFailure(e: unknown): Refusal {
  if (e instanceof Refusal) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new Refusal(ErrorCode.FILE_NOT_FOUND, errorText[1]!, "file vanished");
  if (code === "ELOOP" || code === "EACCES" || code === "EPERM")
    return new Refusal(ErrorCode.ACCESS_VIOLATION, "Access violation", `cannot open (${code})`);
  return internal(e);
}

function internal(e: unknown): Refusal {
  return new Refusal(ErrorCode.NOT_DEFINED, "Server error", (e as Error).message ?? String(e));
}

function optionRecord(options: readonly TftpOption[]): Record<string, string> {
  const first = new Map<string, string>();
  for (const o of options) if (!first.has(o.name)) first.set(o.name, o.value);
  return Object.fromEntries(first);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
