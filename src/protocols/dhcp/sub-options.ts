import { DhcpCodecError } from "./dhcp-codec-error.js";

/**
 * Encapsulated options: code(1) length(1) value, the layout of option 43
 * (RFC 2132 §8.4), 82 (RFC 3046 §2.0) and iPXE's 175. `padEnd`: code 0 is
 * padding and 255 ends the list (43 and 175); option 82 has neither.
 * Repeated codes are concatenated as RFC 3396 does for top-level options.
 */
export function decodeSubOptions(value: Buffer, option: number, padEnd: boolean): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let i = 0;
  while (i < value.length) {
    const code = value[i]!;
    if (padEnd && code === 0) {
      i++;
      continue;
    }
    if (padEnd && code === 255) break;
    if (i + 1 >= value.length) {
      throw new DhcpCodecError(
        "option-overrun",
        `option ${option} sub-option ${code} at offset ${i} has no length byte`,
      );
    }
    const len = value[i + 1]!;
    if (i + 2 + len > value.length) {
      throw new DhcpCodecError(
        "option-overrun",
        `option ${option} sub-option ${code} at offset ${i} says ${len} bytes, only ${value.length - i - 2} left`,
      );
    }
    const v = Buffer.from(value.subarray(i + 2, i + 2 + len));
    const prev = out.get(code);
    out.set(code, prev ? Buffer.concat([prev, v]) : v);
    i += 2 + len;
  }
  return out;
}

/** Inverse of decodeSubOptions; `end` appends the 255 terminator (option 43). */
export function encodeSubOptions(subs: ReadonlyMap<number, Buffer>, option: number, end: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const [code, v] of subs) {
    if (v.length > 255) {
      throw new DhcpCodecError(
        "bad-option-value",
        `option ${option} sub-option ${code} is ${v.length} bytes, over 255`,
      );
    }
    parts.push(Buffer.from([code, v.length]), v);
  }
  if (end) parts.push(Buffer.from([255]));
  return Buffer.concat(parts);
}
