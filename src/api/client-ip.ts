/** The address an HTTP request came from, as the identity module and the logs want it. */
import type { FastifyRequest } from "fastify";

/** IPv4 clients on a dual-stack socket show up as ::ffff:a.b.c.d. */
export function clientIp(req: FastifyRequest): string {
  // After the client hung up the socket has no address any more: use what
  // fastify read at the start of the request.
  const ip = req.socket?.remoteAddress ?? req.ip ?? "";
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}
