/**
 * 64 KiB of zero bytes, shared and never written to: the source of
 * WRITE_ZEROES on a plain file, and what READ data is compared with before
 * it goes out as a hole chunk instead.
 */
export const ZERO_PAGE = Buffer.alloc(64 * 1024);

/** True when buf[start, start+length) is all zero bytes (memcmp against the zero page). */
export function isAllZero(buf: Buffer, start: number, length: number): boolean {
  if (length === 0 || buf[start] !== 0 || buf[start + length - 1] !== 0) return length === 0;
  for (let p = start; p < start + length; p += ZERO_PAGE.length) {
    const n = Math.min(ZERO_PAGE.length, start + length - p);
    if (buf.compare(ZERO_PAGE, 0, n, p, p + n) !== 0) return false;
  }
  return true;
}
