/**
 * Sends a file from disk or a rendered buffer with what boot clients and
 * caches need: Content-Length, ETag and Last-Modified, 304 on a matching
 * If-None-Match/If-Modified-Since, one byte range (206/416), HEAD without a
 * body. Writes to the raw response with backpressure and counts the bytes
 * that went out, so the `http.get` event says how much a client really got.
 */
import { createHash } from "node:crypto";
import { closeSync, constants, createReadStream, fstatSync, openSync, type Stats } from "node:fs";
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FileCache } from "../file-cache/file-cache.js";
import { decide, type FileDecision } from "./http-range.js";
import { SocketFileSender } from "./socket-file-sender.js";

export interface SendResult {
  readonly status: number;
  /** Body bytes written to the socket. */
  readonly bytes: number;
  /** False when the client went away before the end. */
  readonly complete: boolean;
}

/** Where sendFile takes a file's bytes from memory instead of disk. */
export interface ResponderCache {
  /** The file cache, shared with TFTP in `bootfleet serve`. */
  readonly files: FileCache;
  /** Larger files are always streamed from disk. */
  readonly maxFileBytes: number;
}

/** Bodies of at least `minBytes` go out with sendfile from the sender's thread (socket-file-sender.ts). */
export interface ResponderOffload {
  readonly sender: SocketFileSender;
  readonly minBytes: number;
  /** A client that takes nothing for this long is dropped (the HTTP idle timeout). */
  readonly idleMs: number;
}

export interface FileMeta {
  readonly contentType: string;
  readonly cacheControl?: string | undefined;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

function decideFor(req: FastifyRequest, etag: string, mtime: number, size: number): FileDecision {
  return decide(
    {
      method: req.method,
      range: header(req, "range"),
      ifRange: header(req, "if-range"),
      ifNoneMatch: header(req, "if-none-match"),
      ifModifiedSince: header(req, "if-modified-since"),
    },
    { etag, mtime, size },
  );
}

function writeHead(
  res: ServerResponse,
  d: FileDecision,
  size: number,
  etag: string,
  mtime: number,
  meta: FileMeta,
): number {
  res.setHeader("ETag", etag);
  res.setHeader("Last-Modified", new Date(mtime).toUTCString());
  res.setHeader("Accept-Ranges", "bytes");
  if (meta.cacheControl) res.setHeader("Cache-Control", meta.cacheControl);
  if (d.status === 304) {
    res.writeHead(304);
    return 0;
  }
  if (d.status === 416) {
    res.setHeader("Content-Range", `bytes */${size}`);
    res.setHeader("Content-Type", "text/plain; charset=utf-8");
    const body = `range not satisfiable: the file has ${size} bytes\n`;
    res.setHeader("Content-Length", Buffer.byteLength(body));
    res.writeHead(416);
    res.end(body);
    return -1;
  }
  const length = size === 0 ? 0 : d.end - d.start + 1;
  res.setHeader("Content-Type", meta.contentType);
  res.setHeader("Content-Length", length);
  if (d.status === 206) res.setHeader("Content-Range", `bytes ${d.start}-${d.end}/${size}`);
  res.writeHead(d.status);
  return length;
}

/** Resolves when the response is done or the client is gone. */
function waitDrain(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}

const CHUNK = 4 * 1024 * 1024;

async function writeSlices(res: ServerResponse, data: Buffer, start: number, end: number): Promise<number> {
  let sent = 0;
  for (let off = start; off <= end; off += CHUNK) {
    if (res.destroyed) return sent;
    const slice = data.subarray(off, Math.min(end + 1, off + CHUNK));
    const more = res.write(slice);
    sent += slice.length;
    if (!more && !(await waitDrain(res))) return sent;
  }
  return sent;
}

/**
 * Streams from `fd` and closes it: a destroyed stream closes its descriptor
 * (once no read of it is in flight) even when told not to at the end.
 */
async function writeStream(res: ServerResponse, fd: number, start: number, end: number): Promise<number> {
  const stream = createReadStream("", { fd, start, end, highWaterMark: 1024 * 1024 });
  let sent = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (res.destroyed) break;
      const more = res.write(chunk);
      sent += chunk.length;
      if (!more && !(await waitDrain(res))) break;
    }
  } finally {
    stream.destroy();
  }
  return sent;
}

function finish(res: ServerResponse, complete: boolean): Promise<void> {
  if (!complete) {
    res.destroy();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("finish", done);
      res.off("close", done);
      resolve();
    };
    res.once("finish", done);
    res.once("close", done);
    res.end();
  });
}

export function fileEtag(size: number, mtimeMs: number, ino: number): string {
  return `"${ino.toString(16)}-${Math.round(mtimeMs).toString(16)}-${size.toString(16)}"`;
}

/**
 * Streams a file. The reply is hijacked: fastify's own send path would
 * buffer nothing but adds a stream pipe per response; writing slices of a
 * cached Buffer is what keeps up with nginx's sendfile (bench/http/).
 * Returns null when the file does not exist (the caller answers 404).
 *
 * The file is opened and fstat'ed in place, not in libuv's thread pool:
 * boot files are asked for again and again (every machine fetches the same
 * kernel), so their inodes are cached and each call costs a few
 * microseconds, while a round trip through the pool costs the loop more than
 * that and another thread as much again. The headers then describe the very
 * file that is sent, even when it is replaced meanwhile. O_NONBLOCK keeps a
 * FIFO under the served root from blocking the open; for regular files it
 * does nothing.
 */
export async function sendFile(
  req: FastifyRequest,
  reply: FastifyReply,
  path: string,
  meta: FileMeta,
  cache?: ResponderCache,
  offload?: ResponderOffload,
): Promise<SendResult | null> {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch {
    return null;
  }
  /** The descriptor went to a read stream, which closes it. */
  let streamed = false;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    const etag = fileEtag(st.size, st.mtimeMs, st.ino);
    const d = decideFor(req, etag, st.mtimeMs, st.size);
    reply.hijack();
    const res = reply.raw;
    const length = writeHead(res, d, st.size, etag, st.mtimeMs, meta);
    if (length < 0) return { status: 416, bytes: 0, complete: true };
    if (req.method === "HEAD" || length === 0 || d.status === 304) {
      await finish(res, true);
      return { status: d.status, bytes: 0, complete: true };
    }
    const { start, end } = d as { start: number; end: number };
    const offloaded =
      offload && length >= offload.minBytes ? await sendOffLoop(res, fd, start, length, offload) : null;
    let sent: number;
    if (offloaded !== null) sent = offloaded;
    else {
      const data = cache && st.size <= cache.maxFileBytes ? await cachedBody(cache.files, path, st) : null;
      if (data) sent = await writeSlices(res, data, start, end);
      else {
        streamed = true;
        sent = await writeStream(res, fd, start, end);
      }
    }
    const complete = sent === length && !res.destroyed;
    await finish(res, complete);
    return { status: d.status, bytes: sent, complete };
  } finally {
    if (!streamed) closeSync(fd);
  }
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * Sends the body with the offload sender; null when it cannot take this one
 * (a TLS socket, a response not yet at the head of its connection): the
 * caller writes it.
 * The headers go first, from here, and must have left before the sender's
 * thread writes to the socket. Node's idle timer sees none of the sender's
 * writes, so it is off meanwhile; the sender applies the same limit.
 */
async function sendOffLoop(
  res: ServerResponse,
  fd: number,
  start: number,
  length: number,
  offload: ResponderOffload,
): Promise<number | null> {
  // A response waiting for the one before it on a keep-alive connection
  // has no socket yet: a client that asks for the next file as soon as the
  // last bytes of this one arrive can be answered before this loop has
  // heard that they left. Node queues such a response's writes, so write
  // this one from here.
  const socket = res.socket;
  if (!socket || SocketFileSender.socketFd(socket) === null) return null;
  res.flushHeaders();
  if (!(await flushed(socket))) return 0;
  const idle = socket.timeout;
  socket.setTimeout(0);
  const result = await offload.sender.send(socket, fd, start, length, offload.idleMs);
  if (!socket.destroyed) socket.setTimeout(idle ?? 0);
  return result.sent;
}

const NOTHING = Buffer.alloc(0);

/** Resolves true once everything written to `socket` so far has left for the kernel. */
function flushed(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve(false);
    else socket.write(NOTHING, (err) => resolve(!err));
  });
}

/**
 * The file's bytes from the cache, or null to stream it from disk instead:
 * it could not be read, or it shrank or was replaced since the stat.
 */
async function cachedBody(files: FileCache, path: string, st: Stats): Promise<Buffer | null> {
  try {
    const data = await files.read(path, st, { followSymlinks: true });
    return data.length === st.size ? data : null;
  } catch {
    return null;
  }
}

export function bufferEtag(body: Buffer): string {
  return `"${createHash("sha1").update(body).digest("base64url").slice(0, 22)}"`;
}

/** Sends a rendered file (script, config, layer cpio) with the same validators and ranges. */
export async function sendBuffer(
  req: FastifyRequest,
  reply: FastifyReply,
  body: Buffer,
  mtime: number,
  meta: FileMeta,
): Promise<SendResult> {
  const etag = bufferEtag(body);
  const d = decideFor(req, etag, mtime, body.length);
  reply.hijack();
  const res = reply.raw;
  const length = writeHead(res, d, body.length, etag, mtime, meta);
  if (length < 0) return { status: 416, bytes: 0, complete: true };
  if (req.method === "HEAD" || length === 0 || d.status === 304) {
    await finish(res, true);
    return { status: d.status, bytes: 0, complete: true };
  }
  const { start, end } = d as { start: number; end: number };
  const sent = await writeSlices(res, body, start, end);
  const complete = sent === length && !res.destroyed;
  await finish(res, complete);
  return { status: d.status, bytes: sent, complete };
}
