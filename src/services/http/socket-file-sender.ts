/**
 * Sends file bytes to clients' TCP sockets with sendfile(2), from a thread of
 * the native addon (native/bootfleet_udp.c, "Files to TCP sockets off the
 * event loop").
 *
 * Why: every machine that boots over HTTP fetches a kernel and an initrd,
 * tens of MB. Written from JavaScript, each byte is copied into the socket
 * by the event loop's thread, which in a boot storm also answers DHCP, NBD
 * reads and the stage reports; with 500 machines at once that thread is the
 * bottleneck (bench/storm). nginx sends the same bytes with sendfile from
 * the page cache. Here a thread of its own does the same, on duplicates of
 * the socket's and the file's descriptors, so the loop only writes the
 * headers and learns when the body is out.
 *
 * Optional like the rest of the addon: without it (or on TLS sockets, which
 * sendfile cannot write) file-responder.ts writes the body itself.
 */
import type { Socket } from "node:net";
import { constants } from "node:os";
import { loadNativeUdp } from "../tftp/native-udp.js";

interface NativeFileSender {
  fileSenderCreate(onDone: (id: number, sent: number, errno: number) => void): unknown;
  fileSenderSend(
    sender: unknown,
    id: number,
    socketFd: number,
    fileFd: number,
    offset: number,
    length: number,
    idleMs: number,
  ): void;
  fileSenderCancel(sender: unknown, id: number): void;
  fileSenderClose(sender: unknown): void;
}

export interface SocketSendResult {
  /** Bytes the socket took. */
  readonly sent: number;
  /** Why it stopped short (errno's name: EPIPE, ETIMEDOUT, ECANCELED ...), or null when all went. */
  readonly error: string | null;
}

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value as number, name]),
);

export class SocketFileSender {
  readonly #native: NativeFileSender;
  readonly #handle: unknown;
  readonly #waiting = new Map<number, (result: SocketSendResult) => void>();
  #next = 1;
  #closed = false;

  private constructor(native: NativeFileSender) {
    this.#native = native;
    this.#handle = native.fileSenderCreate((id, sent, errno) => {
      const done = this.#waiting.get(id);
      if (!done) return;
      this.#waiting.delete(id);
      done({ sent, error: errno === 0 ? null : (ERRNO_NAMES.get(errno) ?? `errno ${errno}`) });
    });
  }

  /** A sender on the addon's thread, or null with the reason (for the log line). */
  static create(): { sender: SocketFileSender | null; reason: string } {
    const { udp, reason } = loadNativeUdp();
    if (udp === null) return { sender: null, reason };
    const candidate = udp as unknown as Partial<NativeFileSender>;
    if (typeof candidate.fileSenderCreate !== "function")
      return {
        sender: null,
        reason:
          "native/build/Release/bootfleet_udp.node predates its sendfile calls (run: npm run build:native)",
      };
    return { sender: new SocketFileSender(candidate as NativeFileSender), reason: "" };
  }

  /** The socket's descriptor when sendfile can write to it (plain TCP, open), else null. */
  static socketFd(socket: Socket): number | null {
    if ((socket as Socket & { encrypted?: boolean }).encrypted || socket.destroyed) return null;
    const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
    return typeof fd === "number" && fd >= 0 ? fd : null;
  }

  /**
   * Sends `length` bytes of `fileFd` from `offset` to `socket`, which must
   * have nothing of its own left to write and get nothing written until this
   * resolves. Ends early when the socket closes, or when it took nothing for
   * `idleMs` (a client that stopped reading). Both descriptors may be closed
   * by their owners meanwhile: the thread holds its own.
   */
  send(
    socket: Socket,
    fileFd: number,
    offset: number,
    length: number,
    idleMs: number,
  ): Promise<SocketSendResult> {
    const fd = SocketFileSender.socketFd(socket);
    if (this.#closed || fd === null)
      return Promise.resolve({ sent: 0, error: this.#closed ? "sender closed" : "socket closed" });
    const id = this.#next++;
    return new Promise<SocketSendResult>((resolve) => {
      const onClose = (): void => {
        if (this.#waiting.has(id)) this.#native.fileSenderCancel(this.#handle, id);
      };
      this.#waiting.set(id, (result) => {
        socket.off("close", onClose);
        resolve(result);
      });
      socket.once("close", onClose);
      try {
        this.#native.fileSenderSend(this.#handle, id, fd, fileFd, offset, length, Math.max(1, idleMs));
      } catch (err) {
        this.#waiting.delete(id);
        socket.off("close", onClose);
        resolve({ sent: 0, error: (err as Error).message });
      }
    });
  }

  /** Stops the thread; sends still running end as if the socket had closed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.fileSenderClose(this.#handle);
    for (const [id, done] of this.#waiting) {
      this.#waiting.delete(id);
      done({ sent: 0, error: "sender closed" });
    }
  }
}
