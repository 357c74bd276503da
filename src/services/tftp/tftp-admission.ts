/**
 * Which RRQs get a transfer: the table of requests being prepared or served,
 * keyed by the client's address and port, within two limits.
 *
 * When `maxTransfers` are running, further RRQs are dropped without an answer:
 * every client retransmits its RRQ (RFC 1350 section 2), so it is served when
 * a slot frees, where an ERROR would have failed its boot. So are RRQs from an
 * address that runs `maxTransfersPerClient` already: one address that never
 * acknowledges holds at most that many slots, each until its retransmissions
 * run out.
 */
import type { Logger } from "../../logging/logger.js";
import { RateLimitedLog } from "../../logging/rate-limited-log.js";
import type { TransferHandle } from "./transfer-runner.js";
import type { UdpRemote } from "./udp-socket.js";

/** A request being prepared or served. */
export interface TftpSession {
  readonly raw: Buffer;
  readonly client: UdpRemote;
  transfer: TransferHandle | null;
  cancelled: boolean;
  /** Settles once the transfer is running or the request was refused. */
  started: Promise<void>;
}

export interface TftpAdmissionLimits {
  readonly maxTransfers: number;
  readonly maxTransfersPerClient: number;
}

export class TftpAdmission {
  readonly #limits: TftpAdmissionLimits;
  readonly #log: Logger;
  readonly #sessions = new Map<string, TftpSession>();
  /** Sessions per client address, for `maxTransfersPerClient`. */
  readonly #perClient = new Map<string, number>();
  readonly #clientDropLog: RateLimitedLog;
  readonly #busyDropLog: RateLimitedLog;
  #busyDrops = 0;
  #clientDrops = 0;

  constructor(limits: TftpAdmissionLimits, log: Logger) {
    this.#limits = limits;
    this.#log = log;
    this.#clientDropLog = new RateLimitedLog({
      logger: log,
      what: "requests dropped at max_transfers_per_client",
    });
    // A storm bigger than the limit must show in the log: clients whose
    // retransmissions all land while it is full fail to boot.
    this.#busyDropLog = new RateLimitedLog({
      logger: log,
      what: "requests dropped at max_transfers",
      summary: (count, _source, seconds) =>
        `tftp: ${count} more requests dropped in the last ${seconds} s, ${this.#limits.maxTransfers} transfers running (services.tftp.max_transfers)`,
    });
  }

  /** Sessions running or being prepared. */
  get active(): number {
    return this.#sessions.size;
  }

  /** RRQs dropped because `maxTransfers` were running. */
  get busyDrops(): number {
    return this.#busyDrops;
  }

  /** RRQs dropped because their address ran `maxTransfersPerClient` already. */
  get clientDrops(): number {
    return this.#clientDrops;
  }

  session(key: string): TftpSession | undefined {
    return this.#sessions.get(key);
  }

  /** A new session for this RRQ, or null (logged and counted) when a limit drops it. */
  admit(key: string, msg: Buffer, client: UdpRemote, file: string): TftpSession | null {
    if (this.#sessions.size >= this.#limits.maxTransfers) {
      this.#busyDrops++;
      this.#busyDropLog.log(
        "max_transfers",
        { ip: client.address, file, transfers: this.#sessions.size },
        "tftp: max_transfers running, request dropped (the client retries; a storm of more machines needs a higher services.tftp.max_transfers)",
      );
      return null;
    }
    const fromClient = this.#perClient.get(client.address) ?? 0;
    if (fromClient >= this.#limits.maxTransfersPerClient) {
      this.#clientDrops++;
      this.#clientDropLog.log(
        client.address,
        { ip: client.address, file, transfers: fromClient },
        "tftp: client runs max_transfers_per_client already, request dropped (it will retry)",
      );
      return null;
    }
    const session: TftpSession = {
      raw: Buffer.from(msg),
      client: { address: client.address, port: client.port },
      transfer: null,
      cancelled: false,
      started: Promise.resolve(),
    };
    this.#sessions.set(key, session);
    this.#perClient.set(client.address, fromClient + 1);
    return session;
  }

  /** Frees the session's slot, unless a newer session holds its key already. */
  forget(key: string, session: TftpSession): void {
    if (this.#sessions.get(key) !== session) return;
    this.#sessions.delete(key);
    const address = session.client.address;
    const left = (this.#perClient.get(address) ?? 1) - 1;
    if (left > 0) this.#perClient.set(address, left);
    else this.#perClient.delete(address);
  }

  /** Cancels every session and aborts its transfer. */
  cancelAll(reason: string): void {
    for (const s of [...this.#sessions.values()]) {
      s.cancelled = true;
      s.transfer?.abort(reason);
    }
    this.#sessions.clear();
    this.#perClient.clear();
  }

  close(): void {
    this.#clientDropLog.close();
    this.#busyDropLog.close();
  }
}
