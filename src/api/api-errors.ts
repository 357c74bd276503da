/**
 * Every error the REST API (and the HTTP service's JSON answers) can give,
 * in one place, each with a stable code and an HTTP status. The body is always
 *   { "error": { "code": "MACHINE_NOT_FOUND", "message": "...", "detail"?: {...} } }
 * Codes are part of the API: clients match on them, never on messages.
 */

export const API_ERRORS = {
  BAD_REQUEST: { status: 400, title: "The request is malformed" },
  INVALID_BODY: { status: 400, title: "The request body does not match the schema" },
  INVALID_MAC: { status: 400, title: "Not a MAC address" },
  INVALID_QUERY: { status: 400, title: "A query parameter is invalid" },
  UNAUTHORIZED: { status: 401, title: "A bearer token is needed for this request" },
  WRITE_API_DISABLED: { status: 403, title: "The write API is off: no token configured" },
  STAGE_SOURCE_MISMATCH: { status: 403, title: "Stage reports come from the machine itself" },
  MACHINE_NOT_FOUND: { status: 404, title: "No such machine" },
  IMAGE_NOT_FOUND: { status: 404, title: "No such image" },
  IMAGE_VERSION_NOT_FOUND: { status: 404, title: "No such image version" },
  NOT_FOUND: { status: 404, title: "No such endpoint" },
  METHOD_NOT_ALLOWED: { status: 405, title: "Method not allowed" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "The request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Send application/json" },
  STAGE_REPORTS_RATE_LIMITED: { status: 429, title: "Too many unverified stage reports from this address" },
  IMAGE_SWITCH_FAILED: { status: 500, title: "Switching the image failed" },
  STORE_FAILED: { status: 500, title: "The store could not answer" },
  INTERNAL: { status: 500, title: "Internal error" },
  IMAGES_UNAVAILABLE: { status: 503, title: "No image store is attached to this server" },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly detail: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ApiErrorCode, message?: string, detail?: Readonly<Record<string, unknown>>) {
    super(message ?? API_ERRORS[code].title);
    this.code = code;
    this.status = API_ERRORS[code].status;
    this.detail = detail;
  }

  toJSON(): { error: { code: ApiErrorCode; message: string; detail?: Readonly<Record<string, unknown>> } } {
    return {
      error: { code: this.code, message: this.message, ...(this.detail ? { detail: this.detail } : {}) },
    };
  }
}

/**
 * Maps anything thrown in a handler (ours, fastify's body/parse errors) to an
 * ApiError. Internal messages are not passed on to the client; they are logged.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown; validation?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(err);
  switch (e?.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError("PAYLOAD_TOO_LARGE", message);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError("UNSUPPORTED_MEDIA_TYPE", message);
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError("INVALID_BODY", message);
  }
  if (e?.validation) return new ApiError("INVALID_BODY", message);
  if (err instanceof SyntaxError) return new ApiError("INVALID_BODY", `body is not JSON: ${message}`);
  if (typeof e?.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError("BAD_REQUEST", message);
  }
  return new ApiError("INTERNAL");
}
