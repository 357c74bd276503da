/**
 * Stream framer for what an NBD client sends. TCP hands over bytes in any
 * split; this keeps partial frames and hands out whole messages only:
 * the 4-byte client flags, then options (IHAVEOPT, option, length, data),
 * then transmission requests (28-byte header, plus the payload of a WRITE).
 *
 * Pull-based: `push(chunk)` buffers, `next()` returns one whole message or
 * undefined. After NBD_OPT_GO the framer pauses, because only the server
 * knows whether the GO succeeded (transmission) or failed (more options);
 * the service says which with `enterTransmission()` or `resumeOptions()`.
 * A client MUST NOT send more before that reply (proto.md "Fixed newstyle
 * negotiation"), but bytes that arrive early stay buffered, not lost.
 */
import {
  NBD_CMD_WRITE,
  NBD_MAX_PAYLOAD_BYTES,
  NBD_OPT_EXPORT_NAME,
  NBD_OPT_GO,
  NBD_OPTION_HEADER_BYTES,
  NBD_OPTS_MAGIC,
  NBD_REQUEST_HEADER_BYTES,
} from "./nbd-constants.js";
import { ByteQueue } from "../byte-queue.js";
import { NbdProtocolError } from "./nbd-protocol-error.js";
import { decodeRequestHeader, type NbdRequest } from "./nbd-transmission.js";

export type NbdClientMessage =
  | { readonly kind: "client-flags"; readonly flags: number }
  | { readonly kind: "option"; readonly option: number; readonly data: Buffer }
  | ({ readonly kind: "request" } & NbdRequest);

export type NbdFramerPhase = "client-flags" | "options" | "awaiting-go-reply" | "transmission" | "closed";

export interface NbdClientFramerOptions {
  /**
   * Largest option data buffered. Names are at most 4096 bytes, so real
   * options are small; a bigger one is treated as a denial of service
   * (proto.md allows a hard disconnect then).
   */
  readonly maxOptionBytes?: number;
  /** Largest WRITE payload buffered (2^25 by default). */
  readonly maxPayloadBytes?: number;
}

export class NbdClientFramer {
  readonly #bytes = new ByteQueue();
  #phase: NbdFramerPhase = "client-flags";
  readonly #maxOptionBytes: number;
  readonly #maxPayloadBytes: number;

  constructor(options: NbdClientFramerOptions = {}) {
    this.#maxOptionBytes = options.maxOptionBytes ?? 64 * 1024;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? NBD_MAX_PAYLOAD_BYTES;
  }

  get phase(): NbdFramerPhase {
    return this.#phase;
  }

  /** Bytes received and not yet handed out. */
  get buffered(): number {
    return this.#bytes.length;
  }

  push(chunk: Buffer): void {
    if (this.#phase === "closed") return;
    this.#bytes.push(chunk);
  }

  /** The GO succeeded: what follows are transmission requests. */
  enterTransmission(): void {
    if (this.#phase !== "awaiting-go-reply") throw new Error(`enterTransmission in phase ${this.#phase}`);
    this.#phase = "transmission";
  }

  /** The GO failed: the client may send more options. */
  resumeOptions(): void {
    if (this.#phase !== "awaiting-go-reply") throw new Error(`resumeOptions in phase ${this.#phase}`);
    this.#phase = "options";
  }

  /** Stop: further bytes are ignored (after an error, or a DISC). */
  close(): void {
    this.#phase = "closed";
    this.#bytes.clear();
  }

  /**
   * The next whole message, or undefined until more bytes arrive. Throws
   * NbdProtocolError on bytes that can only end the connection; the framer
   * is closed then.
   */
  next(): NbdClientMessage | undefined {
    try {
      return this.#next();
    } catch (err) {
      this.close();
      throw err;
    }
  }

  #next(): NbdClientMessage | undefined {
    switch (this.#phase) {
      case "client-flags": {
        if (this.#bytes.length < 4) return undefined;
        const flags = this.#bytes.take(4).readUInt32BE(0);
        this.#phase = "options";
        return { kind: "client-flags", flags };
      }
      case "options":
        return this.#nextOption();
      case "transmission":
        return this.#nextRequest();
      default:
        return undefined;
    }
  }

  #nextOption(): NbdClientMessage | undefined {
    if (this.#bytes.length < NBD_OPTION_HEADER_BYTES) return undefined;
    const header = this.#bytes.peek(NBD_OPTION_HEADER_BYTES);
    const magic = header.readBigUInt64BE(0);
    if (magic !== NBD_OPTS_MAGIC) {
      throw new NbdProtocolError(`option magic 0x${magic.toString(16).padStart(16, "0")}, expected IHAVEOPT`);
    }
    const option = header.readUInt32BE(8);
    const length = header.readUInt32BE(12);
    if (length > this.#maxOptionBytes) {
      throw new NbdProtocolError(
        `option ${option} carries ${length} bytes, more than the ${this.#maxOptionBytes} accepted`,
      );
    }
    if (this.#bytes.length < NBD_OPTION_HEADER_BYTES + length) return undefined;
    this.#bytes.skip(NBD_OPTION_HEADER_BYTES);
    const data = this.#bytes.take(length);
    if (option === NBD_OPT_EXPORT_NAME) this.#phase = "transmission";
    else if (option === NBD_OPT_GO) this.#phase = "awaiting-go-reply";
    return { kind: "option", option, data };
  }

  #nextRequest(): NbdClientMessage | undefined {
    if (this.#bytes.length < NBD_REQUEST_HEADER_BYTES) return undefined;
    const header = decodeRequestHeader(this.#bytes.peek(NBD_REQUEST_HEADER_BYTES));
    if (header.type !== NBD_CMD_WRITE) {
      this.#bytes.skip(NBD_REQUEST_HEADER_BYTES);
      return { kind: "request", ...header };
    }
    if (header.length > this.#maxPayloadBytes) {
      // The payload cannot be buffered nor skipped safely: hand out the
      // header so the service can answer EINVAL, then stop reading.
      this.#bytes.skip(NBD_REQUEST_HEADER_BYTES);
      this.close();
      return { kind: "request", ...header };
    }
    if (this.#bytes.length < NBD_REQUEST_HEADER_BYTES + header.length) return undefined;
    this.#bytes.skip(NBD_REQUEST_HEADER_BYTES);
    return { kind: "request", ...header, payload: this.#bytes.take(header.length) };
  }
}
