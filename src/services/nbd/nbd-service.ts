/**
 * The NBD service: every export on one port, by name, where older setups
 * ran one nbd-server per image, each on its own port. Exports come from
 * an NbdExportSource; each connection holds its own open file, so a client
 * keeps the version it connected to until it reconnects. Read-only by
 * default, with an optional private copy-on-write layer per client, which
 * a running machine gets back when it reconnects (cow-layers.ts).
 *
 * The listener is handed in (a `net.Server`, listening or not) or made from
 * listen options; port 0 in tests.
 *
 * Bounded by construction: connections at once, in total and per client
 * address (a refused one is closed at accept, with one warning line per
 * minute however many there are), and what each connection holds for its
 * client (NbdConnection's flow control).
 */
import { createServer, type AddressInfo, type ListenOptions, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_NBD_MAX_CONNECTIONS,
  DEFAULT_NBD_MAX_CONNECTIONS_PER_CLIENT,
  DEFAULT_NBD_COW_HOLD_SECONDS,
  DEFAULT_NBD_PORT,
} from "../../config/config-schema.js";
import { plainIpv4 } from "../../config/net-address.js";
import { type Clock, type EventBus, systemClock } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { RateLimitedLog } from "../../logging/rate-limited-log.js";
import { CowLayers } from "./cow-layers.js";
import { NbdConnection } from "./nbd-connection.js";
import type { NbdExportSource } from "./nbd-export-source.js";
import { ReplyBufferPool } from "../file-io/reply-buffer-pool.js";

export interface NbdServiceOptions {
  /** Requests one connection runs at once; more wait in the socket (TCP pushes back). */
  readonly maxInFlight: number;
  /**
   * Bytes one connection holds for its client (payloads and replies of the
   * requests running, replies the socket has not sent) before it stops
   * taking requests. Reads larger than 2 MiB go in slices within it.
   */
  readonly maxReplyBytes: number;
  /** A connection that has not chosen an export by then is closed. */
  readonly handshakeTimeoutMs: number;
  /** `services.nbd.max_connections`: connections at once; further ones are closed at accept. */
  readonly maxConnections: number;
  /** `services.nbd.max_connections_per_client`: connections one client address holds at once. */
  readonly maxConnectionsPerClient: number;
  /** Where copy-on-write layers live (`<data_dir>/nbd-cow` in production). */
  readonly cowDir: string;
  /** How long a machine's copy-on-write layer waits for its reconnect (`services.nbd.cow_hold_seconds`), in ms. */
  readonly cowHoldMs: number;
}

export const defaultNbdServiceOptions: NbdServiceOptions = Object.freeze({
  maxInFlight: 64,
  // 16 of nbdcopy's 256 KiB requests, or three of the Linux client's
  // largest, in flight: enough to keep a page-cache read path busy; a
  // client that stops reading pins this much (and one 2 MiB read), where it
  // pinned 64 MiB before.
  maxReplyBytes: 4 * 1024 * 1024,
  handshakeTimeoutMs: 30_000,
  maxConnections: DEFAULT_NBD_MAX_CONNECTIONS,
  maxConnectionsPerClient: DEFAULT_NBD_MAX_CONNECTIONS_PER_CLIENT,
  cowDir: join(tmpdir(), "bootfleet-nbd-cow"),
  cowHoldMs: DEFAULT_NBD_COW_HOLD_SECONDS * 1000,
});

export interface NbdServiceDeps {
  /** A server to accept on (listening already, or listened on by `start` with `listen`). */
  readonly server?: Server | undefined;
  /** Where to listen when no listening server is handed in; default port DEFAULT_NBD_PORT (10809, IANA) on every address. */
  readonly listen?: ListenOptions | undefined;
  readonly source: NbdExportSource;
  readonly bus: Pick<EventBus, "publish">;
  readonly logger: Logger;
  readonly clock?: Clock | undefined;
  readonly options?: Partial<NbdServiceOptions> | undefined;
}

export interface NbdServiceStats {
  readonly connections: number;
  readonly accepted: number;
  readonly refused: number;
}

export class NbdService {
  readonly #d: NbdServiceDeps;
  readonly #o: NbdServiceOptions;
  readonly #log: Logger;
  readonly #server: Server;
  readonly #ownsServer: boolean;
  readonly #cow: CowLayers;
  readonly #buffers = new ReplyBufferPool();
  readonly #connections = new Set<NbdConnection>();
  /** Connections open per client address, for `maxConnectionsPerClient`. */
  readonly #perClient = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  /** A client that reconnects in a loop must not write a line per attempt. */
  readonly #refusals: RateLimitedLog;
  #accepted = 0;
  #refused = 0;
  #running = false;

  readonly #onConnection = (socket: Socket): void => {
    const client = { address: plainIpv4(socket.remoteAddress ?? ""), port: socket.remotePort ?? 0 };
    const refusal = this.#admits(client.address);
    if (refusal !== undefined) {
      this.#refuse(socket, client.address, refusal);
      return;
    }
    this.#accepted++;
    this.#perClient.set(client.address, (this.#perClient.get(client.address) ?? 0) + 1);
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    const connection = new NbdConnection({
      socket,
      client,
      source: this.#d.source,
      cow: this.#cow,
      bus: this.#d.bus,
      log: this.#log,
      clock: this.#d.clock ?? systemClock,
      limits: this.#o,
      buffers: this.#buffers,
      onClosed: (c) => this.#closed(c, client.address),
    });
    this.#connections.add(connection);
    connection.start();
  };

  /** Undefined when one more connection from `address` is taken, else the limit it would pass. */
  #admits(address: string): string | undefined {
    if (this.#connections.size >= this.#o.maxConnections) return "max_connections";
    if ((this.#perClient.get(address) ?? 0) >= this.#o.maxConnectionsPerClient)
      return "max_connections_per_client";
    return undefined;
  }

  /**
   * Closes a connection over a limit before the greeting: FIN, not a reset,
   * so the client sees the server hang up and may retry later. The NBD
   * handshake has no "busy" reply; nbd-server closes the same way.
   */
  #refuse(socket: Socket, address: string, limit: string): void {
    this.#refused++;
    socket.on("error", () => {});
    socket.resume(); // what the client sends is dropped, so the close is a FIN, not a reset
    socket.end();
    // A client that never closes its side must not keep the socket open.
    socket.setTimeout(10_000, () => socket.destroy());
    this.#refusals.log(
      address,
      { ip: address, limit, connections: this.#connections.size },
      "nbd: connection refused, over a limit",
    );
  }

  #closed(connection: NbdConnection, address: string): void {
    this.#connections.delete(connection);
    const left = (this.#perClient.get(address) ?? 1) - 1;
    if (left > 0) this.#perClient.set(address, left);
    else this.#perClient.delete(address);
    // Spare reply buffers are kept for the connections still open, not for those gone.
    this.#buffers.trim(this.#connections.size * this.#o.maxReplyBytes);
  }

  readonly #onError = (err: Error): void => {
    this.#log.error({ err: err.message }, "nbd: listener error");
  };

  constructor(deps: NbdServiceDeps) {
    this.#d = deps;
    const options = Object.fromEntries(Object.entries(deps.options ?? {}).filter(([, v]) => v !== undefined));
    this.#o = Object.freeze({ ...defaultNbdServiceOptions, ...options });
    this.#log = deps.logger.child({ service: "nbd" });
    this.#ownsServer = deps.server === undefined;
    this.#server = deps.server ?? createServer();
    this.#cow = new CowLayers({
      dir: this.#o.cowDir,
      holdMs: this.#o.cowHoldMs,
      bus: deps.bus,
      log: this.#log,
      clock: deps.clock,
    });
    this.#refusals = new RateLimitedLog({ logger: this.#log, what: "refused connections" });
  }

  get options(): NbdServiceOptions {
    return this.#o;
  }

  /**
   * Starts accepting; listens first when the server is not listening yet.
   * Resolves the bound address. Machines' copy-on-write layers a previous
   * run left are taken up first, so a client reconnecting at once finds its
   * writes.
   */
  async start(): Promise<AddressInfo> {
    if (!this.#running) {
      this.#running = true;
      await this.#cow.recover();
      this.#server.on("connection", this.#onConnection);
      this.#server.on("error", this.#onError);
      if (!this.#server.listening) {
        await new Promise<void>((resolve, reject) => {
          const fail = (err: Error) => reject(err);
          this.#server.once("error", fail);
          this.#server.listen(this.#d.listen ?? { port: DEFAULT_NBD_PORT }, () => {
            this.#server.off("error", fail);
            resolve();
          });
        });
      }
    }
    const address = this.#server.address() as AddressInfo;
    this.#log.info({ address: address.address, port: address.port }, "nbd: listening");
    return address;
  }

  /**
   * Stops accepting and ends every connection: requests in flight are
   * answered first (proto.md "Terminating the transmission phase"), then the
   * sockets close. Closes the server only when it made it.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#server.off("connection", this.#onConnection);
    const closed = this.#ownsServer
      ? new Promise<void>((resolve) => this.#server.close(() => resolve()))
      : Promise.resolve();
    for (const c of this.#connections) c.shutdown();
    const deadline = setTimeout(() => {
      for (const s of this.#sockets) s.destroy();
    }, graceMs);
    await Promise.all([...this.#sockets].map((s) => new Promise((resolve) => s.once("close", resolve))));
    clearTimeout(deadline);
    // Connections release their exports after their sockets close.
    while (this.#connections.size > 0) await new Promise((resolve) => setImmediate(resolve));
    // Held layers stay on disk for the next start.
    await this.#cow.close();
    this.#server.off("error", this.#onError);
    this.#refusals.close();
    await closed;
  }

  /**
   * The machine `mac` starts a new boot: its held copy-on-write layers are
   * removed (a new boot starts from the image, not from the last one's writes).
   */
  machineBooted(mac: string): void {
    this.#cow.machineBooted(mac);
  }

  stats(): NbdServiceStats {
    return { connections: this.#connections.size, accepted: this.#accepted, refused: this.#refused };
  }
}
