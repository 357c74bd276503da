/** The address an HTTP request came from, as the identity module and the logs want it. */
import type { FastifyRequest } from "fastify";
import { plainIpv4 } from "../config/net-address.js";

export function clientIp(req: FastifyRequest): string {
  // After the client hung up the socket has no address any more: use what
  // fastify read at the start of the request.
  const ip = req.socket?.remoteAddress ?? req.ip ?? "";
  return plainIpv4(ip);
}
