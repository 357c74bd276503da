/**
 * One TCP connection carrying RPC records (RFC 5531 section 11). Calls run
 * side by side up to `maxInFlight`, replies go out as they are ready (RPC
 * matches them by xid). Bounded: past `maxInFlight` calls, or past
 * `maxQueuedBytes` of replies the client has not taken, the socket stops
 * being read until it catches up, so a client that never reads pins a
 * bounded amount of memory. A record that is not an RPC call, or longer
 * than `maxRecordBytes`, closes this connection only.
 */
import type { Socket } from "node:net";
import { RpcRecordFramer } from "../../protocols/rpc/rpc-record-framer.js";
import { XdrError } from "../../protocols/xdr/xdr-error.js";
import type { RpcDispatcher } from "./rpc-dispatcher.js";

export interface RpcTcpLimits {
  readonly maxRecordBytes: number;
  readonly maxInFlight: number;
  readonly maxQueuedBytes: number;
}

export class RpcTcpConnection {
  readonly #socket: Socket;
  readonly #dispatcher: RpcDispatcher;
  readonly #limits: RpcTcpLimits;
  readonly #framer: RpcRecordFramer;
  readonly #onMalformed: (reason: string) => void;
  readonly #address: string;
  #inFlight = 0;
  #closed = false;
  #corked = false;

  constructor(
    socket: Socket,
    dispatcher: RpcDispatcher,
    limits: RpcTcpLimits,
    onMalformed: (reason: string) => void,
  ) {
    this.#socket = socket;
    this.#dispatcher = dispatcher;
    this.#limits = limits;
    this.#framer = new RpcRecordFramer(limits.maxRecordBytes);
    this.#onMalformed = onMalformed;
    this.#address = socket.remoteAddress ?? "";
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("drain", () => this.#maybeResume());
    socket.on("error", () => {});
    socket.on("close", () => {
      this.#closed = true;
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.#framer.push(chunk);
    this.#pump();
  }

  #pump(): void {
    while (!this.#closed && this.#inFlight < this.#limits.maxInFlight) {
      let record: Buffer | undefined;
      try {
        record = this.#framer.next();
      } catch (err) {
        if (!(err instanceof XdrError)) throw err;
        this.#malformed(err.message);
        return;
      }
      if (record === undefined) break;
      this.#run(record);
    }
    if (this.#inFlight >= this.#limits.maxInFlight) this.#socket.pause();
  }

  #run(record: Buffer): void {
    this.#inFlight++;
    this.#dispatcher
      .dispatch(record, { transport: "tcp", address: this.#address }, true)
      .then(
        (result) => {
          if (result.kind === "malformed") this.#malformed(result.reason);
          else if (this.#closed) result.release?.();
          else this.#send(result.bytes, result.release);
        },
        (err: Error) => this.#malformed(`dispatch failed: ${err.message}`),
      )
      .finally(() => {
        this.#inFlight--;
        this.#maybeResume();
      });
  }

  /**
   * Replies finished in the same turn of the event loop leave in one
   * writev: with 32 reads in flight, one system call instead of 32.
   */
  #send(bytes: readonly Buffer[], release: (() => void) | undefined): void {
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      setImmediate(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    for (let i = 0; i < bytes.length - 1; i++) this.#socket.write(bytes[i]!);
    // The callback runs once the last piece is written, or the socket failed:
    // either way its buffer is no longer used. It is also where the queue of
    // unsent replies shrinks, so reading resumes as soon as it is under the
    // bound again: 'drain' alone comes only once the queue is empty, and a
    // client keeping 1 MiB READs in flight would find the connection idle
    // while the next reads are parsed and read from the file.
    this.#socket.write(bytes[bytes.length - 1]!, () => {
      release?.();
      this.#maybeResume();
    });
  }

  #maybeResume(): void {
    if (this.#closed) return;
    if (this.#socket.writableLength > this.#limits.maxQueuedBytes) {
      this.#socket.pause();
      return;
    }
    if (this.#inFlight < this.#limits.maxInFlight) {
      this.#pump();
      if (
        this.#inFlight < this.#limits.maxInFlight &&
        this.#socket.writableLength <= this.#limits.maxQueuedBytes
      ) {
        this.#socket.resume();
      }
    }
  }

  #malformed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onMalformed(reason);
    this.#socket.destroy();
  }

  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }
}
