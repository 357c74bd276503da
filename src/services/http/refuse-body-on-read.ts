/**
 * GET and HEAD carry no body: content in them has no defined meaning
 * (RFC 9110 section 9.3.1 and 9.3.2), and no boot firmware, browser or
 * API client sends one. One that comes with a body is answered 400 at once
 * with `Connection: close`, before the body is read: otherwise node reads
 * and throws away the whole body, as fast as the client sends it, to keep
 * the connection for the next request.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

/** A fastify onRequest hook. */
export async function refuseBodyOnRead(
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  if (req.method !== "GET" && req.method !== "HEAD") return undefined;
  if (!hasBody(req.headers)) return undefined;
  return reply
    .code(400)
    .header("connection", "close")
    .type("text/plain; charset=utf-8")
    .send(`${req.method} requests carry no body; send it without one\n`);
}

/** Whether a body follows the headers (RFC 9112 section 6.3): any Transfer-Encoding, or a Content-Length above 0. */
function hasBody(headers: FastifyRequest["headers"]): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = headers["content-length"];
  return length !== undefined && length.trim() !== "0";
}
