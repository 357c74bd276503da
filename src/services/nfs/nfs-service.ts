/**
 * The NFS service: a read-only NFSv3 server (RFC 1813) with its MOUNT v3
 * and its own portmapper (RFC 1833 version 2), so a client needs nothing
 * else on the server: `mount -t nfs -o ro,nolock,vers=3`, the kernel's
 * `root=/dev/nfs nfsroot=`, libnfs, showmount and rpcinfo all find their
 * way through port 111.
 *
 * Every program answers on every socket handed in (the configured NFS,
 * MOUNT and portmapper ports, TCP and UDP each); the portmapper names the
 * configured ports. Listeners and sockets are handed in, bound already, so
 * tests use port 0 on loopback.
 *
 * Bad input: a TCP connection whose bytes are not RPC records is closed
 * (that one only); a datagram that is not an RPC call is dropped, with one
 * warning line per minute however many there are. Malformed arguments of a
 * well-formed call get GARBAGE_ARGS.
 */
import type { Socket as UdpSocket } from "node:dgram";
import type { Server, Socket } from "node:net";
import { MOUNT_VERSION } from "../../protocols/nfs/mount3-codec.js";
import { NFS_VERSION } from "../../protocols/nfs/nfs3-constants.js";
import { PMAP_VERSION, type PortMapping } from "../../protocols/rpc/portmap-codec.js";
import {
  IPPROTO_TCP,
  IPPROTO_UDP,
  PROG_MOUNT,
  PROG_NFS,
  PROG_PORTMAP,
} from "../../protocols/rpc/rpc-constants.js";
import type { Logger } from "../../logging/logger.js";
import { RateLimitedLog } from "../../logging/rate-limited-log.js";
import { MountProgram } from "./mount-program.js";
import { Nfs3Program, type Nfs3ProgramOptions } from "./nfs3-program.js";
import type { NfsExportSource } from "./nfs-export-source.js";
import { PortmapProgram } from "./portmap-program.js";
import { RpcDispatcher } from "./rpc-dispatcher.js";
import { RpcTcpConnection, type RpcTcpLimits } from "./rpc-tcp-connection.js";

export interface NfsPorts {
  readonly nfs: number;
  readonly mount: number;
  readonly portmap: number;
}

export interface NfsServiceOptions extends RpcTcpLimits, Nfs3ProgramOptions {
  /** TCP connections at once; further ones are closed at accept. */
  readonly maxConnections: number;
}

export const defaultNfsServiceOptions: NfsServiceOptions = Object.freeze({
  // A READ reply of 1 MiB is the largest thing sent; calls are small
  // (writes are refused), but a WRITE call still arrives whole before its
  // NFS3ERR_ROFS: room for one of 1 MiB.
  maxRecordBytes: 1024 * 1024 + 4096,
  maxInFlight: 16,
  maxQueuedBytes: 4 * 1024 * 1024,
  maxReadTcp: 1024 * 1024,
  maxReadUdp: 32 * 1024,
  maxConnections: 1024,
});

export interface NfsServiceDeps {
  readonly source: NfsExportSource;
  /** The ports the portmapper names (the ones actually bound). */
  readonly ports: NfsPorts;
  readonly logger: Logger;
  readonly options?: Partial<NfsServiceOptions> | undefined;
}

export class NfsService {
  readonly #dispatcher: RpcDispatcher;
  readonly #logger: Logger;
  readonly #o: NfsServiceOptions;
  readonly #connections = new Set<RpcTcpConnection>();
  readonly #servers: Server[] = [];
  readonly #udp: UdpSocket[] = [];
  /** A client sending garbage in a loop writes one line per window, not one per datagram or connection. */
  readonly #udpDrops: RateLimitedLog;
  readonly #closes: RateLimitedLog;
  readonly #refused: RateLimitedLog;
  /** Calls refused as not RPC: closed connections and dropped datagrams. */
  malformed = 0;

  constructor(deps: NfsServiceDeps) {
    this.#logger = deps.logger;
    this.#o = { ...defaultNfsServiceOptions, ...deps.options };
    const { nfs, mount, portmap } = deps.ports;
    const mappings: PortMapping[] = [];
    for (const [prog, vers, port] of [
      [PROG_PORTMAP, PMAP_VERSION, portmap],
      [PROG_MOUNT, MOUNT_VERSION, mount],
      [PROG_NFS, NFS_VERSION, nfs],
    ] as const) {
      mappings.push({ prog, vers, prot: IPPROTO_TCP, port }, { prog, vers, prot: IPPROTO_UDP, port });
    }
    this.#dispatcher = new RpcDispatcher(
      [
        new PortmapProgram(mappings),
        new MountProgram(deps.source, deps.logger),
        new Nfs3Program(deps.source, this.#o),
      ],
      deps.logger,
    );
    this.#udpDrops = new RateLimitedLog({ logger: deps.logger, what: "datagrams that are not RPC calls" });
    this.#closes = new RateLimitedLog({
      logger: deps.logger,
      what: "connections closed for bytes that are not RPC",
    });
    this.#refused = new RateLimitedLog({
      logger: deps.logger,
      what: "connections refused, too many at once",
    });
  }

  /** Serves RPC over TCP on a listening server. */
  attachTcp(server: Server): void {
    this.#servers.push(server);
    server.on("connection", (socket: Socket) => this.#accept(socket));
  }

  /** Serves RPC over UDP on a bound socket. */
  attachUdp(socket: UdpSocket): void {
    this.#udp.push(socket);
    socket.on("message", (msg, rinfo) => {
      const address = rinfo.address;
      this.#dispatcher.dispatch(msg, { transport: "udp", address }, false).then(
        (result) => {
          if (result.kind === "malformed") {
            this.malformed++;
            this.#udpDrops.log(
              address,
              { client: address, reason: result.reason },
              "nfs: datagram that is not an RPC call dropped",
            );
            return;
          }
          socket.send(result.bytes as Buffer[], rinfo.port, address, () => result.release?.());
        },
        (err: Error) => this.#logger.error({ client: address, err: err.message }, "nfs: datagram failed"),
      );
    });
  }

  #accept(socket: Socket): void {
    if (this.#connections.size >= this.#o.maxConnections) {
      const client = socket.remoteAddress ?? "";
      this.#refused.log(
        client,
        { client, connections: this.#connections.size },
        "nfs: connection refused, too many at once",
      );
      socket.destroy();
      return;
    }
    const client = socket.remoteAddress ?? "";
    const conn = new RpcTcpConnection(socket, this.#dispatcher, this.#o, (reason) => {
      this.malformed++;
      this.#closes.log(client, { client, reason }, "nfs: connection closed, not RPC");
    });
    this.#connections.add(conn);
    socket.on("close", () => this.#connections.delete(conn));
  }

  get connections(): number {
    return this.#connections.size;
  }

  /** Stops serving: closes the listeners, the sockets and every connection. */
  async stop(): Promise<void> {
    for (const c of this.#connections) c.close();
    this.#connections.clear();
    for (const l of [this.#udpDrops, this.#closes, this.#refused]) l.close();
    await Promise.all(this.#servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const u of this.#udp) {
      try {
        u.close();
      } catch {}
    }
  }
}
