/**
 * Who may read and who may change state. Every write needs
 * `Authorization: Bearer <token>` with the token the config loader chose:
 * `services.api.token`, or when the config sets none, the environment's
 * `BOOTFLEET_API_TOKEN` (config-env.ts). No token configured: the write API
 * is off, and says how to turn it on.
 *
 * Reads follow `services.api.read`: "open" lets anyone who reaches the HTTP
 * port read what is not secret (the page and `curl` need nothing), "token"
 * needs the token for every read. Under either, secret settings and files
 * are shown only to a request that carries the token (machine-view.ts).
 * A wrong token is refused on reads too, so a stale one is noticed.
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { DEFAULT_API_READ } from "../config/config-schema.js";
import { ApiError } from "./api-errors.js";

export type BearerCheck = "ok" | "missing" | "wrong" | "disabled";

export function checkBearer(authorization: string | undefined, token: string | undefined): BearerCheck {
  const m = authorization ? /^Bearer[ \t]+(\S+)\s*$/i.exec(authorization) : null;
  if (token === undefined) return "disabled";
  if (!m?.[1]) return "missing";
  const given = Buffer.from(m[1]);
  const want = Buffer.from(token);
  // Constant time, so the token cannot be guessed byte by byte from response times.
  return given.length === want.length && timingSafeEqual(given, want) ? "ok" : "wrong";
}

export const WRITE_API_OFF_MESSAGE =
  "The write API is off because no API token is configured. Set services.api.token in the fleet config " +
  "(or the environment variable BOOTFLEET_API_TOKEN), restart bootfleet serve, and send the header " +
  "'Authorization: Bearer <token>'.";

/** Throws the API error for a write that may not go ahead. */
export function requireWriteToken(authorization: string | undefined, token: string | undefined): void {
  switch (checkBearer(authorization, token)) {
    case "ok":
      return;
    case "disabled":
      throw new ApiError("WRITE_API_DISABLED", WRITE_API_OFF_MESSAGE);
    case "missing":
      throw new ApiError("UNAUTHORIZED", "This request changes state: send 'Authorization: Bearer <token>'.");
    case "wrong":
      throw new ApiError("UNAUTHORIZED", "The bearer token is not the one configured.");
  }
}

export type ReadPolicy = "open" | "token";

/** What a read may see: `secrets` when it carries the token. */
export interface ReadAccess {
  readonly secrets: boolean;
}

/** Throws the API error for a read that may not go ahead; else what it may see. */
export function readAccess(
  authorization: string | undefined,
  token: string | undefined,
  policy: ReadPolicy | undefined,
): ReadAccess {
  switch (checkBearer(authorization, token)) {
    case "ok":
      return { secrets: true };
    case "wrong":
      throw new ApiError("UNAUTHORIZED", "The bearer token is not the one configured.");
    case "missing":
    case "disabled":
      if ((policy ?? DEFAULT_API_READ) === "open") return { secrets: false };
      throw new ApiError(
        "UNAUTHORIZED",
        "Reads need the API token on this server (services.api.read: token): send 'Authorization: Bearer <token>'.",
      );
  }
}

/**
 * Puts every GET of a plugin (`app`, registered under a prefix) behind the
 * read policy, so a route added later cannot forget it. `open` are paths
 * below the prefix that only describe the API ("/", "/openapi.json").
 */
export function guardReads(
  app: FastifyInstance,
  token: string | undefined,
  policy: ReadPolicy | undefined,
  open: readonly string[] = [],
): void {
  app.addHook("onRequest", async (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") return;
    const route = req.routeOptions.url;
    if (route !== undefined && open.includes(route.slice(app.prefix.length) || "/")) return;
    readAccess(req.headers.authorization, token, policy);
  });
}
