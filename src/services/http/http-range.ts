/**
 * Conditional and range requests for the files the HTTP service streams
 * (RFC 9110 sections 13 and 14). Pure: header values and the file's
 * validators in, a decision out.
 *
 * One range only. A client asking for several ranges (multipart/byteranges)
 * gets the whole file, which section 14.2 allows ("a server MAY ignore the
 * Range header field"); iPXE, curl, GRUB and UEFI HTTP boot ask for one.
 */

export interface Validators {
  /** Strong entity tag, with its quotes. */
  readonly etag: string;
  /** Milliseconds since the epoch. */
  readonly mtime: number;
  readonly size: number;
}

export interface RequestConditions {
  readonly method: string;
  readonly range?: string | undefined;
  readonly ifRange?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
}

export type FileDecision =
  | { readonly status: 304 }
  | { readonly status: 416 }
  | { readonly status: 200; readonly start: 0; readonly end: number }
  | { readonly status: 206; readonly start: number; readonly end: number };

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`: inclusive [start, end]; "unsatisfiable"; null when absent, malformed or multiple. */
export function parseRange(
  header: string,
  size: number,
): { start: number; end: number } | "unsatisfiable" | null {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return null; // also catches "a-b, c-d": several ranges
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return null;
  if (a === "") {
    // Suffix range: the last n bytes (section 14.1.1).
    const n = Number(b);
    if (n === 0) return "unsatisfiable";
    return size === 0 ? "unsatisfiable" : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== "" && Number(b) < start) return null; // invalid: ignore, send everything
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

function httpDateSeconds(text: string): number | null {
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}

function etagListMatches(list: string, etag: string, weak: boolean): boolean {
  if (list.trim() === "*") return true;
  const bare = (tag: string): string => (weak ? tag.replace(/^W\//, "") : tag);
  return list.split(",").some((t) => bare(t.trim()) === bare(etag));
}

export function decide(req: RequestConditions, file: Validators): FileDecision {
  const mtimeSeconds = Math.floor(file.mtime / 1000);
  // Section 13.2.2: If-None-Match first (weak comparison); If-Modified-Since only without it.
  if (req.ifNoneMatch !== undefined) {
    if (etagListMatches(req.ifNoneMatch, file.etag, true)) return { status: 304 };
  } else if (req.ifModifiedSince !== undefined && (req.method === "GET" || req.method === "HEAD")) {
    const since = httpDateSeconds(req.ifModifiedSince);
    if (since !== null && mtimeSeconds <= since) return { status: 304 };
  }
  const whole: FileDecision = { status: 200, start: 0, end: file.size - 1 };
  if (req.range === undefined || req.method !== "GET") return whole;
  if (req.ifRange !== undefined) {
    // Section 13.1.5: the range applies only if the representation is unchanged (strong comparison).
    const v = req.ifRange.trim();
    const same =
      v.startsWith('"') || v.startsWith("W/") ? v === file.etag : httpDateSeconds(v) === mtimeSeconds;
    if (!same) return whole;
  }
  const range = parseRange(req.range, file.size);
  if (range === null) return whole;
  if (range === "unsatisfiable") return { status: 416 };
  return { status: 206, start: range.start, end: range.end };
}
