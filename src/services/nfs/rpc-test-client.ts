/**
 * A small ONC RPC client for the NFS service's tests: calls over TCP
 * (record marked, RFC 5531 section 11) or UDP, replies matched by xid and
 * read with the client-side decoder, so the service is checked against
 * code that is not its own encoder.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { decodeRpcReply } from "../../protocols/rpc/decode-rpc-reply.js";
import { encodeRpcCall, type RpcCallHeader } from "../../protocols/rpc/encode-rpc-call.js";
import type { RpcReply } from "../../protocols/rpc/rpc-message.js";
import { RpcRecordFramer, reserveRecordMark, sealRecord } from "../../protocols/rpc/rpc-record-framer.js";
import { XdrWriter } from "../../protocols/xdr/xdr-writer.js";

export class RpcTestClient {
  readonly #tcp: Socket | undefined;
  readonly #udp: UdpSocket | undefined;
  readonly #waiting = new Map<number, (r: RpcReply) => void>();
  #xid = 1000;
  closed: Promise<void>;

  private constructor(tcp: Socket | undefined, udp: UdpSocket | undefined) {
    this.#tcp = tcp;
    this.#udp = udp;
    const deliver = (bytes: Buffer) => {
      const reply = decodeRpcReply(bytes);
      this.#waiting.get(reply.xid)?.(reply);
      this.#waiting.delete(reply.xid);
    };
    if (tcp) {
      const framer = new RpcRecordFramer(4 * 1024 * 1024);
      tcp.on("data", (chunk: Buffer) => {
        framer.push(chunk);
        for (let r = framer.next(); r; r = framer.next()) deliver(r);
      });
      this.closed = new Promise((resolve) => tcp.on("close", () => resolve()));
    } else {
      udp!.on("message", deliver);
      this.closed = new Promise((resolve) => udp!.on("close", () => resolve()));
    }
  }

  static tcp(port: number, host = "127.0.0.1"): Promise<RpcTestClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new RpcTestClient(s, undefined)));
      s.once("error", reject);
    });
  }

  static udp(port: number, host = "127.0.0.1"): Promise<RpcTestClient> {
    return new Promise((resolve) => {
      const s = createSocket("udp4");
      s.connect(port, host, () => resolve(new RpcTestClient(undefined, s)));
    });
  }

  /** Calls `prog.vers.proc` with arguments written by `args`; resolves with the reply. */
  call(header: Omit<RpcCallHeader, "xid">, args: (w: XdrWriter) => void = () => {}): Promise<RpcReply> {
    const xid = this.#xid++;
    const w = new XdrWriter();
    const mark = this.#tcp ? reserveRecordMark(w) : -1;
    encodeRpcCall(w, { ...header, xid });
    args(w);
    const bytes = Buffer.from(this.#tcp ? sealRecord(w, mark) : w.bytes());
    const reply = new Promise<RpcReply>((resolve) => this.#waiting.set(xid, resolve));
    this.send(bytes);
    return reply;
  }

  /** Raw bytes, for malformed input. */
  send(bytes: Buffer): void {
    if (this.#tcp) this.#tcp.write(bytes);
    else this.#udp!.send(bytes);
  }

  close(): void {
    this.#tcp?.destroy();
    try {
      this.#udp?.close();
    } catch {}
  }
}
