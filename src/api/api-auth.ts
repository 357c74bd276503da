/**
 * Who may change state. Reads are open (the admin page and `bootfleet
 * machines` need nothing); every write needs `Authorization: Bearer <token>`
 * with the token the config loader chose: `services.api.token`, or when the
 * config sets none, the environment's `BOOTFLEET_API_TOKEN` (config-env.ts).
 * No token configured: the write API is off, and says how to turn it on.
 */
import { timingSafeEqual } from "node:crypto";
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
