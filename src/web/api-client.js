/**
 * The page's one way to the REST API (/api/v1). Every request sends the kept
 * token as `Authorization: Bearer <token>`: with it, reads show secret
 * values, and a server with `services.api.read: token` answers reads at all.
 * A read answered 401 asks for the token once and tries again; writes ask
 * for it first when none is kept. Error bodies are the API's
 * `{ error: { code, message } }`.
 */
import { askToken, getToken, setToken } from "./token-store.js";

export const API_BASE = "/api/v1";

export class ApiRequestError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiRequestError";
    this.status = status;
    this.code = code;
  }
}

async function request(method, path, body, token) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(API_BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiRequestError(0, "NETWORK", `the server did not answer (${err.message})`);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const e = data && typeof data === "object" ? data.error : null;
    throw new ApiRequestError(
      res.status,
      e?.code ?? `HTTP_${res.status}`,
      `${res.status} ${e?.message ?? res.statusText}${e?.code ? ` (${e.code})` : ""}`,
    );
  }
  return data;
}

/** One token dialog at a time: the page's reads start together and may all be refused together. */
let asking = null;

export function askTokenOnce(reason) {
  asking ??= askToken(reason).finally(() => {
    asking = null;
  });
  return asking;
}

/** A read, with the kept token; after a 401, once more with the token the user gives. */
export async function apiGet(path) {
  const token = getToken();
  try {
    return await request("GET", path, undefined, token);
  } catch (err) {
    if (err.status !== 401) throw err;
    if (token) setToken("");
    const again = await askTokenOnce(
      token
        ? `The server refused the token: ${err.message}. Enter the API token again.`
        : "This server shows its state only with the API token (services.api.read: token). It is kept in this tab only.",
    );
    if (!again) throw err;
    return request("GET", path, undefined, again);
  }
}

/** A write: asks for the token first when none is kept; once more after a 401. */
export async function apiWrite(method, path, body) {
  let token = getToken();
  if (!token) {
    token = await askTokenOnce("This change needs the API token. It is kept in this tab only.");
    if (!token) throw new ApiRequestError(0, "NO_TOKEN", "cancelled: no API token given");
  }
  try {
    return await request(method, path, body, token);
  } catch (err) {
    if (err.status !== 401) throw err;
    setToken("");
    const again = await askTokenOnce(
      `The server refused the token: ${err.message}. Enter the API token again.`,
    );
    if (!again) throw err;
    return request(method, path, body, again);
  }
}

/** Path segment for a MAC or name. */
export function seg(s) {
  return encodeURIComponent(s);
}

/** A list from a response that is either the array itself or `{ <key>: [...] }`. */
export function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && typeof data === "object") {
    if (Array.isArray(data[key])) return data[key];
    if (Array.isArray(data.items)) return data.items;
  }
  return [];
}
