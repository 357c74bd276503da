/**
 * Who runs accepted transfers: this thread (the default, and what the unit
 * tests drive with fake sockets and timers) or a pool of worker threads
 * (tftp-worker-pool.ts). The service decides what to send; a runner only
 * opens the source, makes the socket and runs the TftpTransfer.
 */
import type { Clock } from "../../events/event-bus.js";
import type { Timers } from "./timers.js";
import { TftpTransfer, type TransferSummary, type TransferTiming } from "./tftp-transfer.js";
import { openTransferSource, type TransferSource, type TransferSourceSpec } from "./transfer-source.js";
import type { TransferSocket, TransferSocketFactory, UdpRemote } from "./udp-socket.js";

/** Everything a transfer needs; plain data, so it can be posted to a worker. */
export interface TransferSpec {
  readonly client: UdpRemote;
  readonly source: TransferSourceSpec;
  readonly blksize: number;
  readonly windowsize: number;
  /** Encoded OACK, or null to start with DATA 1. */
  readonly oack: Uint8Array | null;
  readonly timing: TransferTiming;
}

export interface TransferCallbacks {
  onEnd(summary: TransferSummary): void;
  onNote(note: string, detail: Record<string, unknown>): void;
}

export interface TransferHandle {
  /**
   * Asked when the client repeats its RRQ: false when the transfer has
   * already ended (the client aborted it, as OVMF does after its size probe),
   * which makes the repeated RRQ a new request. Nothing is resent (see
   * TftpTransfer.stillRunning).
   */
  stillRunning(): Promise<boolean>;
  /** End without telling the client. `onEnd` follows (at once or soon). */
  abort(message: string): void;
}

export interface TransferRunner {
  /** Opens the source and the socket and starts sending; rejects if either fails. */
  start(spec: TransferSpec, callbacks: TransferCallbacks): Promise<TransferHandle>;
  close(): void;
}

/** The TftpTransfer for `spec` on an opened source and socket: every runner builds it this way. */
export function transferFor(
  spec: TransferSpec,
  source: TransferSource,
  socket: TransferSocket,
  clock: Clock,
  timers: Timers,
  callbacks: TransferCallbacks,
): TftpTransfer {
  const oack =
    spec.oack === null ? null : Buffer.from(spec.oack.buffer, spec.oack.byteOffset, spec.oack.byteLength);
  return new TftpTransfer({
    socket,
    client: spec.client,
    source,
    blksize: spec.blksize,
    windowsize: spec.windowsize,
    oack,
    timing: spec.timing,
    clock,
    timers,
    onEnd: (summary) => callbacks.onEnd(summary),
    onNote: (note, detail) => callbacks.onNote(note, detail),
  });
}

export class InThreadTransferRunner implements TransferRunner {
  readonly #createSocket: TransferSocketFactory;
  readonly #clock: Clock;
  readonly #timers: Timers;

  constructor(createSocket: TransferSocketFactory, clock: Clock, timers: Timers) {
    this.#createSocket = createSocket;
    this.#clock = clock;
    this.#timers = timers;
  }

  async start(spec: TransferSpec, callbacks: TransferCallbacks): Promise<TransferHandle> {
    const source = await openTransferSource(spec.source);
    let socket: Awaited<ReturnType<TransferSocketFactory>>;
    try {
      socket = await this.#createSocket(spec.client);
    } catch (e) {
      source.close();
      throw e;
    }
    const transfer = transferFor(spec, source, socket, this.#clock, this.#timers, callbacks);
    transfer.start();
    return {
      stillRunning: () => Promise.resolve(transfer.stillRunning()),
      abort: (message) => transfer.abort(message),
    };
  }

  close(): void {}
}
