/**
 * A small raw NBD client for the service's tests: speaks the handshake and
 * transmission with the codec's client-side encoders and the reply framer,
 * so tests can send exactly the bytes they mean (garbage included) and see
 * every reply as it comes.
 */
import { connect, type Socket } from "node:net";
import {
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_OPT_EXPORT_NAME,
  NBD_OPT_GO,
  NBD_OPT_STRUCTURED_REPLY,
  NBD_REP_ACK,
} from "../../protocols/nbd/nbd-constants.js";
import { encodeClientFlags, encodeInfoRequestData, encodeOption } from "../../protocols/nbd/nbd-handshake.js";
import { NbdReplyFramer, type NbdServerMessage } from "../../protocols/nbd/nbd-reply-framer.js";
import { encodeRequest, type NbdRequest } from "../../protocols/nbd/nbd-transmission.js";

export class NbdTestClient {
  readonly socket: Socket;
  readonly framer = new NbdReplyFramer();
  readonly #queue: NbdServerMessage[] = [];
  #waiter: (() => void) | undefined;
  #closed = false;
  #nextHandle = 1n;
  /** Whether the client flags sent included NBD_FLAG_C_NO_ZEROES (shapes the EXPORT_NAME reply). */
  noZeroes = true;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.framer.push(chunk);
      for (let m = this.framer.next(); m; m = this.framer.next()) this.#queue.push(m);
      this.#wake();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on("error", () => {});
  }

  static async connect(port: number): Promise<NbdTestClient> {
    const socket = connect({ port, host: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new NbdTestClient(socket);
  }

  /** Connects, negotiates (structured replies if asked) and GOes to `name`. */
  static async open(port: number, name: string, opts: { structured?: boolean } = {}): Promise<NbdTestClient> {
    const c = await NbdTestClient.connect(port);
    await c.next(); // greeting
    c.send(encodeClientFlags(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES));
    if (opts.structured) {
      c.send(encodeOption(NBD_OPT_STRUCTURED_REPLY));
      const r = await c.next();
      if (r?.kind !== "option-reply" || r.replyType !== NBD_REP_ACK)
        throw new Error("structured replies refused");
    }
    const replies = await c.option(NBD_OPT_GO, encodeInfoRequestData(name, []));
    const last = replies.at(-1);
    if (last?.kind !== "option-reply" || last.replyType !== NBD_REP_ACK) {
      throw new Error(`GO ${name} failed: ${JSON.stringify(last)}`);
    }
    c.framer.enterTransmission();
    return c;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(buf: Buffer): void {
    this.socket.write(buf);
  }

  /** The next message from the server, or undefined once the connection closed. */
  async next(): Promise<NbdServerMessage | undefined> {
    while (this.#queue.length === 0 && !this.#closed) {
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
    }
    return this.#queue.shift();
  }

  /** Sends one option and collects replies until a final one (ACK or an error). */
  async option(option: number, data?: Buffer): Promise<NbdServerMessage[]> {
    this.send(encodeOption(option, data));
    if (option === NBD_OPT_EXPORT_NAME) this.framer.expectExportNameReply(this.noZeroes);
    const out: NbdServerMessage[] = [];
    for (;;) {
      const m = await this.next();
      if (!m) return out;
      out.push(m);
      if (m.kind === "export-name-reply") return out;
      if (m.kind === "option-reply" && (m.replyType === NBD_REP_ACK || m.replyType >= 0x80000000)) return out;
    }
  }

  handle(): bigint {
    return this.#nextHandle++;
  }

  /** Sends a request; a READ's simple-reply length is registered with the framer. */
  request(req: Omit<NbdRequest, "handle"> & { handle?: bigint }): bigint {
    const handle = req.handle ?? this.handle();
    if (req.type === 0) this.framer.expectRead(handle, req.length);
    this.send(encodeRequest({ ...req, handle }));
    return handle;
  }

  /** Waits until the server closes the connection. */
  async closedByServer(): Promise<void> {
    while (!this.#closed) await this.next();
  }

  close(): void {
    this.socket.destroy();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}
