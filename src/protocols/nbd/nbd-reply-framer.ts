/**
 * Stream framer for what an NBD server sends, for bootfleet's own tests and
 * probes (the service never reads replies). Handshake replies are
 * self-describing; in transmission, structured reply chunks carry their
 * length but a simple reply to READ does not (proto.md "Simple reply
 * message"), so the caller says how many data bytes each READ handle
 * expects with `expectRead(handle, length)`.
 */
import {
  NBD_OPTION_REPLY_HEADER_BYTES,
  NBD_REP_MAGIC,
  NBD_SIMPLE_REPLY_HEADER_BYTES,
  NBD_SIMPLE_REPLY_MAGIC,
  NBD_STRUCTURED_REPLY_HEADER_BYTES,
  NBD_STRUCTURED_REPLY_MAGIC,
} from "./nbd-constants.js";
import { NbdProtocolError } from "./nbd-protocol-error.js";

export type NbdServerMessage =
  | { readonly kind: "greeting"; readonly handshakeFlags: number }
  | {
      readonly kind: "option-reply";
      readonly option: number;
      readonly replyType: number;
      readonly data: Buffer;
    }
  | { readonly kind: "export-name-reply"; readonly size: bigint; readonly transmissionFlags: number }
  | { readonly kind: "simple-reply"; readonly error: number; readonly handle: bigint; readonly data: Buffer }
  | {
      readonly kind: "structured-chunk";
      readonly flags: number;
      readonly type: number;
      readonly handle: bigint;
      readonly payload: Buffer;
    };

export class NbdReplyFramer {
  #buf: Buffer = Buffer.alloc(0);
  #phase: "greeting" | "options" | "export-name-reply" | "transmission" = "greeting";
  #noZeroes = false;
  readonly #readLengths = new Map<bigint, number>();

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
  }

  /** The client sent NBD_OPT_EXPORT_NAME: the next reply is size + flags (+ 124 zeroes). */
  expectExportNameReply(noZeroes: boolean): void {
    this.#phase = "export-name-reply";
    this.#noZeroes = noZeroes;
  }

  /** A GO succeeded: transmission replies follow. */
  enterTransmission(): void {
    this.#phase = "transmission";
  }

  /** A simple reply to this READ handle carries `length` bytes when its error is zero. */
  expectRead(handle: bigint, length: number): void {
    this.#readLengths.set(handle, length);
  }

  next(): NbdServerMessage | undefined {
    const b = this.#buf;
    switch (this.#phase) {
      case "greeting": {
        if (b.length < 18) return undefined;
        this.#consume(18);
        this.#phase = "options";
        return { kind: "greeting", handshakeFlags: b.readUInt16BE(16) };
      }
      case "options": {
        if (b.length < NBD_OPTION_REPLY_HEADER_BYTES) return undefined;
        if (b.readBigUInt64BE(0) !== NBD_REP_MAGIC) throw new NbdProtocolError("bad option reply magic");
        const length = b.readUInt32BE(16);
        if (b.length < NBD_OPTION_REPLY_HEADER_BYTES + length) return undefined;
        const data = Buffer.from(b.subarray(20, 20 + length));
        this.#consume(20 + length);
        return { kind: "option-reply", option: b.readUInt32BE(8), replyType: b.readUInt32BE(12), data };
      }
      case "export-name-reply": {
        const n = this.#noZeroes ? 10 : 134;
        if (b.length < n) return undefined;
        this.#consume(n);
        this.#phase = "transmission";
        return {
          kind: "export-name-reply",
          size: b.readBigUInt64BE(0),
          transmissionFlags: b.readUInt16BE(8),
        };
      }
      case "transmission": {
        if (b.length < 4) return undefined;
        const magic = b.readUInt32BE(0);
        if (magic === NBD_SIMPLE_REPLY_MAGIC) {
          if (b.length < NBD_SIMPLE_REPLY_HEADER_BYTES) return undefined;
          const error = b.readUInt32BE(4);
          const handle = b.readBigUInt64BE(8);
          const dataLength = error === 0 ? (this.#readLengths.get(handle) ?? 0) : 0;
          if (b.length < NBD_SIMPLE_REPLY_HEADER_BYTES + dataLength) return undefined;
          this.#readLengths.delete(handle);
          const data = Buffer.from(b.subarray(16, 16 + dataLength));
          this.#consume(16 + dataLength);
          return { kind: "simple-reply", error, handle, data };
        }
        if (magic === NBD_STRUCTURED_REPLY_MAGIC) {
          if (b.length < NBD_STRUCTURED_REPLY_HEADER_BYTES) return undefined;
          const length = b.readUInt32BE(16);
          if (b.length < NBD_STRUCTURED_REPLY_HEADER_BYTES + length) return undefined;
          const payload = Buffer.from(b.subarray(20, 20 + length));
          this.#consume(20 + length);
          return {
            kind: "structured-chunk",
            flags: b.readUInt16BE(4),
            type: b.readUInt16BE(6),
            handle: b.readBigUInt64BE(8),
            payload,
          };
        }
        throw new NbdProtocolError(`bad reply magic 0x${magic.toString(16)}`);
      }
    }
  }

  #consume(n: number): void {
    this.#buf = this.#buf.subarray(n);
  }
}
