/**
 * The syslog receiver (DESIGN: "reads the machines' own logs"): lines from
 * the booting clients over UDP (RFC 5426) and TCP (RFC 6587), attributed to
 * the machine proven at the source address (`machineAt`: its lease, a fixed
 * address, the DHCP exchange seen in proxy mode; never the hostname a line
 * claims or which boot files the address fetched), stored under retention
 * and published as `syslog.line` events. Lines from an address no machine is
 * proven at are kept under that address.
 *
 * One writer stores lines in arrival order; a flood beyond `maxPending`
 * queued lines is dropped and counted rather than held in memory. A bad
 * datagram or frame is logged (rate-limited) and dropped; broken TCP framing
 * closes that one connection. Nothing a client sends stops the service.
 */
import type { Socket } from "node:net";
import { type Clock, type EventBus, systemClock } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { decodeSyslog } from "../../protocols/syslog/decode-syslog.js";
import { DEFAULT_MAX_FRAME, SyslogFramer } from "../../protocols/syslog/syslog-framer.js";
import type { SyslogMessage } from "../../protocols/syslog/syslog-message.js";
import { SyslogParseError } from "../../protocols/syslog/syslog-parse-error.js";
import type { LogRetention, Store } from "../../store/store.js";
import type { SyslogRemote, SyslogTcpServer, SyslogUdpSocket } from "./syslog-sockets.js";
import { plainIpv4 } from "../../config/net-address.js";

/** The machine proven at an address (ClientIdentity.machineAt); null when none is. */
export type MachineAt = (ip: string) => string | null | Promise<string | null>;

export interface SyslogServiceOptions {
  readonly store: Store;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly machineAt: MachineAt;
  /** `services.syslog.per_machine` and `.total`. */
  readonly retention: LogRetention;
  readonly clock?: Clock | undefined;
  /** The clients' UTC offset for BSD timestamps (they carry no zone); default this server's. */
  readonly utcOffsetMinutes?: number | undefined;
  /** Largest TCP frame (default 64 KiB). */
  readonly maxFrame?: number | undefined;
  /** Lines waiting for the store at most (default 10,000). */
  readonly maxPending?: number | undefined;
  /** TCP connections at once (default 512); more are closed at once. */
  readonly maxConnections?: number | undefined;
  /** A TCP connection silent this long is closed (default 15 minutes). */
  readonly idleTimeoutMs?: number | undefined;
}

export interface SyslogCounters {
  received: number;
  stored: number;
  malformed: number;
  /** Lines dropped because the store fell behind. */
  dropped: number;
  /** Connections closed for broken framing. */
  framingErrors: number;
}

interface Line {
  readonly msg: SyslogMessage;
  readonly ip: string;
  readonly at: number;
}

export class SyslogService {
  readonly counters: SyslogCounters = { received: 0, stored: 0, malformed: 0, dropped: 0, framingErrors: 0 };
  readonly #o: SyslogServiceOptions;
  readonly #clock: Clock;
  readonly #utcOffset: number;
  readonly #maxPending: number;
  readonly #maxConnections: number;
  readonly #idleMs: number;
  readonly #detach: (() => void)[] = [];
  readonly #connections = new Set<Socket>();
  #pending = 0;
  #tail: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: SyslogServiceOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#utcOffset = options.utcOffsetMinutes ?? -new Date().getTimezoneOffset();
    this.#maxPending = options.maxPending ?? 10_000;
    this.#maxConnections = options.maxConnections ?? 512;
    this.#idleMs = options.idleTimeoutMs ?? 15 * 60_000;
  }

  /** Receives datagrams on a bound UDP socket (RFC 5426: one message per datagram). */
  attachUdp(socket: SyslogUdpSocket): void {
    const onMessage = (msg: Buffer, rinfo: SyslogRemote) => this.#receive(msg, rinfo.address, "udp");
    socket.on("message", onMessage);
    this.#detach.push(() => socket.off("message", onMessage));
  }

  /** Receives connections on a listening TCP server (RFC 6587 framing, either method). */
  attachTcp(server: SyslogTcpServer): void {
    const onConnection = (socket: Socket) => this.#connection(socket);
    server.on("connection", onConnection);
    this.#detach.push(() => server.off("connection", onConnection));
  }

  /** Resolves when every line received so far is stored. */
  async flush(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail);
  }

  /** Stops receiving, closes open TCP connections, stores what is queued. The sockets stay open (their owner closes them). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const d of this.#detach.splice(0)) d();
    for (const c of this.#connections) c.destroy();
    this.#connections.clear();
    await this.flush();
  }

  #connection(socket: Socket): void {
    if (this.#closed || this.#connections.size >= this.#maxConnections) {
      socket.destroy();
      return;
    }
    this.#connections.add(socket);
    const ip = plainIpv4(socket.remoteAddress ?? "");
    const framer = new SyslogFramer(this.#o.maxFrame ?? DEFAULT_MAX_FRAME);
    socket.setTimeout(this.#idleMs, () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch (err) {
        // The stream cannot be resynchronised: close this connection only.
        this.counters.framingErrors++;
        this.#o.logger.warn({ ip, err: (err as Error).message }, "syslog: closing TCP connection");
        socket.destroy();
        return;
      }
      for (const f of frames) this.#receive(f, ip, "tcp");
    });
    socket.on("end", () => {
      for (const f of framer.end()) this.#receive(f, ip, "tcp");
      socket.end();
    });
    socket.on("error", () => {
      /* reset by the client: "close" follows */
    });
    socket.on("close", () => this.#connections.delete(socket));
  }

  #receive(bytes: Buffer, address: string, transport: "udp" | "tcp"): void {
    if (this.#closed) return;
    this.counters.received++;
    const ip = plainIpv4(address);
    const at = this.#clock.now();
    let msg: SyslogMessage;
    try {
      msg = decodeSyslog(bytes, { now: at, utcOffsetMinutes: this.#utcOffset });
    } catch (err) {
      // Only SyslogParseError is expected (the codec is fuzzed for it); any
      // other error is a bug, logged as one, and still no reason to stop.
      if (!(err instanceof SyslogParseError)) {
        this.#o.logger.error({ ip, transport, err: String(err) }, "syslog: decoder bug");
        return;
      }
      // One line per fault, but not one per datagram of a flood.
      if (this.counters.malformed++ % 1000 === 0) {
        this.#o.logger.warn(
          { ip, transport, err: err.message, malformed: this.counters.malformed },
          "syslog: dropped a malformed message",
        );
      }
      return;
    }
    if (this.#pending >= this.#maxPending) {
      if (this.counters.dropped++ % 1000 === 0) {
        this.#o.logger.warn(
          { dropped: this.counters.dropped },
          "syslog: store falling behind, lines dropped",
        );
      }
      return;
    }
    this.#pending++;
    const line: Line = { msg, ip, at };
    this.#tail = this.#tail.then(() => this.#store(line)).finally(() => this.#pending--);
  }

  async #store({ msg, ip, at }: Line): Promise<void> {
    try {
      const mac = await this.#o.machineAt(ip);
      const id = await this.#o.store.addLog(
        {
          at,
          mac,
          ip,
          facility: msg.facility,
          severity: msg.severity,
          hostname: msg.hostname,
          app: msg.app,
          message: msg.message,
        },
        this.#o.retention,
      );
      this.counters.stored++;
      this.#o.bus.publish({
        type: "syslog.line",
        mac: mac ?? undefined,
        ip,
        detail: {
          id,
          facility: msg.facility,
          severity: msg.severity,
          hostname: msg.hostname,
          app: msg.app,
          procid: msg.procid,
          message: msg.message,
          ...(msg.timestamp === null ? {} : { sent_at: msg.timestamp }),
        },
      });
    } catch (err) {
      this.#o.logger.error({ ip, err: (err as Error).message }, "syslog: could not store a line");
    }
  }
}
