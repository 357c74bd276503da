/**
 * A client's NBD root as the storm plays it: the fixed-newstyle handshake
 * with NBD_OPT_GO for the export the boot script's `bootfleet.nbd=` names
 * (proto.md "Fixed newstyle negotiation"), then the recorded boot's READs
 * (read-trace.ts) in their order and with their dependencies: a read the
 * recorded client sent after some reply had come back waits for that reply
 * here too, plus the client's own think time then (scaled by
 * `thinkScale`); reads sent together stay together. The connection stays
 * open afterwards, as a booted client's root does, until `close()`.
 */
import { connect, type Socket } from "node:net";
import {
  NBD_CMD_DISC,
  NBD_CMD_READ,
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_INFO_EXPORT,
  NBD_OPT_GO,
  NBD_REP_ACK,
  NBD_REP_INFO,
} from "../../src/protocols/nbd/nbd-constants.js";
import {
  encodeClientFlags,
  encodeInfoRequestData,
  encodeOption,
} from "../../src/protocols/nbd/nbd-handshake.js";
import { NbdReplyFramer, type NbdServerMessage } from "../../src/protocols/nbd/nbd-reply-framer.js";
import { encodeRequest } from "../../src/protocols/nbd/nbd-transmission.js";
import type { ReadTrace } from "./read-trace.js";

export interface NbdTarget {
  readonly host: string;
  readonly port: number;
  readonly exportName: string;
}

/** `bootfleet.nbd=IP:PORT/EXPORT` as the client hook reads it. */
export function parseNbdArg(value: string): NbdTarget {
  const m = /^([^:/]+):(\d+)\/(.+)$/.exec(value);
  if (!m) throw new Error(`bootfleet.nbd=${value}: IP:PORT/EXPORT expected`);
  return { host: m[1]!, port: Number(m[2]), exportName: m[3]! };
}

export class NbdReplay {
  readonly #socket: Socket;
  readonly #framer = new NbdReplyFramer();
  #waiting: ((m: NbdServerMessage) => void) | undefined;
  #waitingFailed: ((e: Error) => void) | undefined;
  /** Handshake replies that came before anyone asked for them (the greeting comes right after connect). */
  readonly #inbox: NbdServerMessage[] = [];
  readonly #replies = new Map<bigint, { readonly ok: () => void; readonly failed: (e: Error) => void }>();
  #failure: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#framer.push(chunk);
      try {
        for (let m = this.#framer.next(); m; m = this.#framer.next()) this.#dispatch(m);
      } catch (e) {
        this.#fail(e as Error);
      }
    });
    socket.on("error", (e) => this.#fail(e));
    socket.on("close", () => this.#fail(new Error("server closed the connection")));
  }

  static connect(target: NbdTarget, localAddress: string): Promise<NbdReplay> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.host, port: target.port, localAddress });
      socket.setNoDelay(true);
      socket.once("connect", () => resolve(new NbdReplay(socket)));
      socket.once("error", reject);
    });
  }

  /** Greeting, client flags, NBD_OPT_GO; resolves with the export's size. */
  async handshake(exportName: string): Promise<number> {
    const greeting = await this.#next();
    if (greeting.kind !== "greeting") throw new Error(`nbd: expected the greeting, got ${greeting.kind}`);
    this.#socket.write(encodeClientFlags(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES));
    this.#socket.write(encodeOption(NBD_OPT_GO, encodeInfoRequestData(exportName, [])));
    let size = -1;
    for (;;) {
      const m = await this.#next();
      if (m.kind !== "option-reply") throw new Error(`nbd: expected an option reply, got ${m.kind}`);
      if (m.replyType === NBD_REP_INFO && m.data.length >= 12 && m.data.readUInt16BE(0) === NBD_INFO_EXPORT)
        size = Number(m.data.readBigUInt64BE(2));
      else if (m.replyType === NBD_REP_ACK) break;
      else if (m.replyType >= 0x80000000)
        throw new Error(
          `nbd: NBD_OPT_GO ${exportName} refused (0x${m.replyType.toString(16)}) ${m.data.subarray(0).toString("utf8")}`,
        );
    }
    this.#framer.enterTransmission();
    return size;
  }

  async replay(trace: ReadTrace, thinkScale: number): Promise<void> {
    const reads = trace.reads;
    const done: Promise<void>[] = new Array(reads.length);
    const repliedAt: number[] = new Array(reads.length);
    const start = performance.now();
    for (let i = 0; i < reads.length; i++) {
      const r = reads[i]!;
      // The last read whose reply the recorded client had before it sent this one.
      let dep = -1;
      for (let k = i - 1; k >= 0; k--) {
        if (reads[k]!.repliedMs <= r.sentMs) {
          dep = k;
          break;
        }
      }
      if (dep >= 0) await done[dep];
      const readyAt =
        dep >= 0
          ? repliedAt[dep]! + (r.sentMs - reads[dep]!.repliedMs) * thinkScale
          : start + r.sentMs * thinkScale;
      const wait = readyAt - performance.now();
      if (wait > 1) await new Promise((res) => setTimeout(res, wait));
      if (this.#failure) throw this.#failure;
      const handle = BigInt(i + 1);
      done[i] = new Promise<void>((resolve, reject) => {
        this.#replies.set(handle, {
          ok: () => {
            repliedAt[i] = performance.now();
            resolve();
          },
          failed: reject,
        });
      });
      done[i]!.catch(() => {});
      this.#framer.expectRead(handle, r.length);
      this.#socket.write(
        encodeRequest({ flags: 0, type: NBD_CMD_READ, handle, offset: BigInt(r.offset), length: r.length }),
      );
    }
    await Promise.all(done);
  }

  /** NBD_CMD_DISC, then close: what a client sends at shutdown. */
  close(): void {
    if (!this.#socket.destroyed && !this.#failure)
      this.#socket.end(encodeRequest({ flags: 0, type: NBD_CMD_DISC, handle: 0n, offset: 0n, length: 0 }));
    this.#failure ??= new Error("closed by the client");
  }

  #dispatch(m: NbdServerMessage): void {
    if (m.kind === "simple-reply") {
      const pending = this.#replies.get(m.handle);
      this.#replies.delete(m.handle);
      if (m.error !== 0) this.#fail(new Error(`nbd: READ ${m.handle} failed with error ${m.error}`));
      else pending?.ok();
      return;
    }
    const w = this.#waiting;
    this.#waiting = undefined;
    if (w) w(m);
    else this.#inbox.push(m);
  }

  #next(): Promise<NbdServerMessage> {
    return new Promise((resolve, reject) => {
      const early = this.#inbox.shift();
      if (early) return resolve(early);
      if (this.#failure) return reject(this.#failure);
      this.#waiting = resolve;
      this.#waitingFailed = reject;
    });
  }

  #fail(e: Error): void {
    if (this.#failure) return;
    this.#failure = e;
    this.#waitingFailed?.(e);
    for (const p of this.#replies.values()) p.failed(e);
    this.#replies.clear();
    this.#socket.destroy();
  }
}
