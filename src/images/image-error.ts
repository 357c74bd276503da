/**
 * Every failure of an image verb, with a stable code and a message that says
 * what happened and what to do. The CLI prints `message` as is and exits 1;
 * the server maps codes to HTTP statuses.
 */
export type ImageErrorCode =
  | "IMAGE_NAME_INVALID"
  | "IMAGE_NOT_FOUND"
  | "VERSION_NOT_FOUND"
  | "VERSION_IN_USE"
  | "VERSION_CURRENT"
  | "SOURCE_INVALID"
  | "SOURCE_MISSING"
  | "SOURCE_BUSY"
  | "NO_KERNEL"
  | "NO_MODULE"
  | "NO_NBD_CLIENT"
  | "NO_BUSYBOX"
  | "CLIENT_HELPER_INVALID"
  | "TOOL_MISSING"
  | "TOOL_FAILED"
  | "DISK_FULL"
  | "MANIFEST_INVALID"
  | "PULL_FAILED";

export class ImageError extends Error {
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ImageError";
    this.code = code;
  }
}

/** True for "no space left on device" however it reached us (errno or a tool's stderr). */
export function isDiskFull(err: unknown): boolean {
  if (err && typeof err === "object") {
    const e = err as { code?: unknown; message?: unknown };
    if (e.code === "ENOSPC" || e.code === "EDQUOT" || e.code === "DISK_FULL") return true;
    if (typeof e.message === "string" && /no space left on device|disk quota exceeded/i.test(e.message)) {
      return true;
    }
  }
  return false;
}
