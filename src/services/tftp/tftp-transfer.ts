/**
 * One read transfer, from the OACK (or DATA 1) to the last ACK, on its own
 * socket (RFC 1350 section 4: the server's transfer ID is a new port).
 *
 * - Blocks are numbered internally from 1 without limit; the wire carries the
 *   low 16 bits, so after 65535 comes 0. RFC 1350 does not define rollover;
 *   wrapping to 0 is what tftp-hpa, atftp, curl, iPXE, pxelinux and EDK2 expect
 *   for files over 65535 blocks (32 MiB at 512 bytes).
 * - Windows (RFC 7440): up to `windowsize` blocks are sent back to back; an ACK
 *   for block n acknowledges everything up to n and the next window starts at
 *   n + 1, also when n is inside the window (the client lost n + 1).
 * - No Sorcerer's Apprentice (RFC 1123 section 4.2.3.1): a duplicate ACK never
 *   makes a lock-step sender retransmit; only the timer does. With windows, the
 *   client's way to report a lost first block is to repeat the previous ACK,
 *   so one duplicate per window restarts it, and later ones are ignored.
 * - Retransmission: the timer resends the OACK or the window from the oldest
 *   unacknowledged block, doubling its delay each time up to a ceiling, and
 *   gives up after `maxRetries` tries without progress or when the whole
 *   transfer passes its deadline.
 */
import {
  ackBlock,
  DATA_HEADER_BYTES,
  decode,
  encode,
  writeDataHeader,
} from "../../protocols/tftp/tftp-codec.js";
import { ErrorCode, Opcode } from "../../protocols/tftp/tftp-packet.js";
import type { Clock } from "../../events/event-bus.js";
import type { Timers } from "./timers.js";
import type { TransferSource } from "./transfer-source.js";
import type { TransferSocket, UdpRemote } from "./udp-socket.js";

export interface TransferTiming {
  /** First retransmission delay (RFC 2349's timeout replaces it when the client sets one). */
  readonly retransmitMs: number;
  /** Ceiling of the doubling delay. */
  readonly maxRetransmitMs: number;
  /** Retransmissions in a row without progress before giving up. */
  readonly maxRetries: number;
  /** Deadline for the whole transfer. */
  readonly transferTimeoutMs: number;
}

export type TransferResult =
  | { readonly kind: "done" }
  /** The client sent ERROR. `beforeData`: it did so after the OACK, before any DATA (OVMF's size probe). */
  | {
      readonly kind: "client-error";
      readonly code: number;
      readonly message: string;
      readonly beforeData: boolean;
    }
  | { readonly kind: "timeout"; readonly message: string }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "aborted"; readonly message: string };

export interface TransferSummary {
  readonly result: TransferResult;
  /** Bytes of the file the client acknowledged. */
  readonly bytes: number;
  readonly durationMs: number;
  readonly retransmits: number;
}

export interface TransferParams {
  readonly socket: TransferSocket;
  readonly client: UdpRemote;
  readonly source: TransferSource;
  readonly blksize: number;
  readonly windowsize: number;
  /** Encoded OACK to send first, or null to start with DATA 1. */
  readonly oack: Buffer | null;
  readonly timing: TransferTiming;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly onEnd: (summary: TransferSummary) => void;
  /** Receives packets from other ports/addresses, decode failures etc. (debug log). */
  readonly onNote?: ((note: string, detail: Record<string, unknown>) => void) | undefined;
}

export class TftpTransfer {
  readonly #p: TransferParams;
  readonly #lastBlock: number;
  readonly #startedAt: number;
  /** Packet buffers, one per block slot, reused as the window moves (2 windows' worth). */
  readonly #slots: Buffer[] = [];
  /** The block each slot holds ready to send (0: none), so a resend or a prepared block is not copied again. */
  readonly #slotBlocks: number[] = [];
  readonly #slotCount: number;

  #awaitingOackAck: boolean;
  /** Oldest block not acknowledged. */
  #base = 1;
  /** One past the highest block sent so far. */
  #next = 1;
  /** Next block of the current burst to put on the wire, and the burst's last block. */
  #cursor = 1;
  #burstEnd = 0;
  #loading = false;
  #dupResent = false;

  #rto: number;
  readonly #maxRto: number;
  #retries = 0;
  #retransmits = 0;
  #sentAt = 0;
  #timer: unknown = null;
  #timerDue = 0;
  #ended = false;

  readonly #onMessage = (msg: Buffer, rinfo: UdpRemote): void => this.#handle(msg, rinfo);
  readonly #onError = (error: Error): void => this.#note("socket error", { error: error.message });

  constructor(params: TransferParams) {
    this.#p = params;
    // floor(size / blksize) + 1: a file that is a multiple of blksize ends with an empty block.
    this.#lastBlock = Math.floor(params.source.size / params.blksize) + 1;
    this.#awaitingOackAck = params.oack !== null;
    this.#startedAt = params.clock.now();
    this.#slotCount = Math.max(2, params.windowsize * 2);
    this.#rto = params.timing.retransmitMs;
    this.#maxRto = Math.max(params.timing.maxRetransmitMs, params.timing.retransmitMs);
  }

  /** The local port: the server's transfer ID. */
  get port(): number {
    return this.#p.socket.address().port;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** True until the client has acknowledged anything: a repeated RRQ then means our first packet was lost. */
  get unanswered(): boolean {
    return this.#awaitingOackAck || this.#base === 1;
  }

  start(): void {
    this.#p.socket.on("message", this.#onMessage);
    this.#p.socket.on("error", this.#onError);
    this.#sendFirst();
  }

  /**
   * The client repeated its RRQ. Nothing is resent: the retransmission timer
   * resends the first packet if it was lost, and resending at once races the
   * client's ACK 0 (atftp aborts on an OACK it already answered, seen with
   * 200 clients starting together). False when the transfer has already
   * ended, which makes the repeated RRQ a new request (OVMF after its size probe).
   */
  stillRunning(): boolean {
    return !this.#ended;
  }

  /** Ends the transfer without telling the client (service shutdown, superseded request). */
  abort(message: string): void {
    this.#end({ kind: "aborted", message });
  }

  #sendFirst(): void {
    if (this.#awaitingOackAck) {
      this.#send(this.#p.oack!);
      this.#sent();
    } else {
      this.#startBurst();
    }
  }

  #handle(msg: Buffer, rinfo: UdpRemote): void {
    if (this.#ended) return;
    if (rinfo.port !== this.#p.client.port || rinfo.address !== this.#p.client.address) {
      // RFC 1350 section 4: a stranger's packet must not disturb the
      // transfer. (A connected socket never sees one: the kernel answers it.)
      this.#note("packet from an unknown transfer ID ignored", { from: `${rinfo.address}:${rinfo.port}` });
      return;
    }
    const block = ackBlock(msg);
    if (block >= 0) {
      this.#ack(block);
      return;
    }
    let packet: ReturnType<typeof decode>;
    try {
      packet = decode(msg);
    } catch (e) {
      this.#note("malformed packet ignored", { error: (e as Error).message });
      return;
    }
    if (packet.opcode === Opcode.ERROR) {
      this.#end({
        kind: "client-error",
        code: packet.code,
        message: packet.message,
        beforeData: this.#awaitingOackAck,
      });
      return;
    }
    this.#note("unexpected packet ignored", { opcode: packet.opcode });
  }

  #ack(wire: number): void {
    if (this.#awaitingOackAck) {
      // RFC 2347: the client accepts the OACK with ACK 0.
      if (wire !== 0) return;
      this.#awaitingOackAck = false;
      this.#progress();
      this.#startBurst();
      return;
    }
    const prev = this.#base - 1;
    // The block this ACK names: the first at or after `prev` with these low 16 bits.
    const acked = prev + ((wire - (prev & 0xffff)) & 0xffff);
    if (acked >= this.#next) return; // never sent: a stale ACK from before a rollover, or garbage
    if (acked === prev) {
      if (this.#p.windowsize > 1 && !this.#dupResent) {
        this.#dupResent = true;
        this.#retransmits++;
        this.#startBurst();
      }
      return;
    }
    this.#base = acked + 1;
    this.#progress();
    if (acked === this.#lastBlock) {
      this.#end({ kind: "done" });
      return;
    }
    this.#startBurst();
  }

  #progress(): void {
    this.#retries = 0;
    this.#dupResent = false;
    this.#rto = this.#p.timing.retransmitMs;
  }

  #startBurst(): void {
    this.#cursor = this.#base;
    this.#burstEnd = Math.min(this.#base + this.#p.windowsize - 1, this.#lastBlock);
    if (!this.#loading) this.#pump();
  }

  /**
   * DATA `block`, ready to send from its slot: copied and headed unless the
   * slot holds it already; null when the source must load it first.
   */
  #packet(block: number): Buffer | null {
    const { blksize, source } = this.#p;
    const i = block % this.#slotCount;
    let slot = this.#slots[i];
    if (slot === undefined) {
      slot = Buffer.allocUnsafe(DATA_HEADER_BYTES + blksize);
      this.#slots[i] = slot;
      this.#slotBlocks[i] = 0;
    }
    const start = (block - 1) * blksize;
    const length = Math.min(blksize, source.size - start);
    if (this.#slotBlocks[i] !== block) {
      if (!source.copy(slot, DATA_HEADER_BYTES, start, start + length)) return null;
      writeDataHeader(slot, block);
      this.#slotBlocks[i] = block;
    }
    return length === blksize ? slot : slot.subarray(0, DATA_HEADER_BYTES + length);
  }

  #pump(): void {
    const { blksize, source } = this.#p;
    while (this.#cursor <= this.#burstEnd) {
      const block = this.#cursor;
      const packet = this.#packet(block);
      if (packet === null) {
        this.#load((block - 1) * blksize, Math.min(source.size, this.#burstEnd * blksize));
        return;
      }
      this.#send(packet);
      this.#cursor = block + 1;
      if (block >= this.#next) this.#next = block + 1;
    }
    this.#sent();
    // While the burst travels, make the next one's first packet ready, so that
    // the ACK that asks for it finds only a send to do. Its slot held a block
    // two windows back, which the ACK for this burst's first block covered.
    const ahead = this.#burstEnd + 1;
    if (ahead <= this.#lastBlock) this.#packet(ahead);
  }

  #load(start: number, end: number): void {
    this.#loading = true;
    this.#p.source.load(start, end, (error) => {
      this.#loading = false;
      if (error !== undefined) this.#fail({ kind: "failed", message: `read error: ${error.message}` });
      else if (!this.#ended) this.#pump();
    });
  }

  #send(packet: Buffer): void {
    this.#p.socket.send(packet);
  }

  /** Something went out: restart the retransmission clock. */
  #sent(): void {
    const now = this.#p.clock.now();
    this.#sentAt = now;
    const due = now + this.#rto;
    // A timer due sooner re-arms itself for the rest; one due later (set
    // during a backoff that progress has since ended) is replaced.
    if (this.#timer !== null) {
      if (this.#timerDue <= due) return;
      this.#p.timers.clearTimeout(this.#timer);
    }
    this.#arm(this.#rto);
  }

  #arm(ms: number): void {
    this.#timerDue = this.#p.clock.now() + ms;
    this.#timer = this.#p.timers.setTimeout(() => this.#onTimer(), ms);
  }

  #onTimer(): void {
    this.#timer = null;
    if (this.#ended) return;
    const now = this.#p.clock.now();
    const timing = this.#p.timing;
    if (now - this.#startedAt >= timing.transferTimeoutMs) {
      this.#fail({ kind: "timeout", message: `transfer not finished after ${timing.transferTimeoutMs} ms` });
      return;
    }
    const waited = now - this.#sentAt;
    if (waited < this.#rto) {
      // Progress since the timer was set: wait the rest of the current delay.
      this.#arm(this.#rto - waited);
      return;
    }
    if (this.#retries >= timing.maxRetries) {
      this.#fail({ kind: "timeout", message: `no answer after ${timing.maxRetries} retransmissions` });
      return;
    }
    this.#retries++;
    this.#retransmits++;
    this.#rto = Math.min(this.#rto * 2, this.#maxRto);
    this.#sendFirst();
  }

  /** Ends with an ERROR to the client (timeouts and read errors). */
  #fail(result: TransferResult & { message: string }): void {
    if (this.#ended) return;
    const message = result.kind === "timeout" ? "Timeout" : "Read error on the server";
    this.#send(encode({ opcode: Opcode.ERROR, code: ErrorCode.NOT_DEFINED, message }));
    this.#end(result);
  }

  #end(result: TransferResult): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer !== null) this.#p.timers.clearTimeout(this.#timer);
    this.#timer = null;
    const { socket, source, blksize } = this.#p;
    socket.off("message", this.#onMessage);
    // Keep an error listener: a send still queued may fail after close.
    try {
      socket.close();
    } catch {
      /* already closed */
    }
    source.close();
    const bytes = result.kind === "done" ? source.size : Math.min(source.size, (this.#base - 1) * blksize);
    this.#p.onEnd({
      result,
      bytes,
      durationMs: this.#p.clock.now() - this.#startedAt,
      retransmits: this.#retransmits,
    });
  }

  #note(note: string, detail: Record<string, unknown>): void {
    this.#p.onNote?.(note, detail);
  }
}
