/**
 * Netascii (RFC 1350 section 1, after RFC 764's Telnet NVT): the sender turns
 * the local newline LF into CR LF and a bare CR into CR NUL, so a receiver
 * can map both back exactly. Files on this server are Unix files.
 */

const CR = 0x0d;
const LF = 0x0a;

/** Local (Unix) bytes -> netascii. Returns the input itself when nothing changes. */
export function toNetascii(local: Buffer): Buffer {
  let extra = 0;
  for (let i = 0; i < local.length; i++) {
    const b = local[i];
    if (b === LF || b === CR) extra++;
  }
  if (extra === 0) return local;
  const out = Buffer.allocUnsafe(local.length + extra);
  let o = 0;
  for (let i = 0; i < local.length; i++) {
    const b = local[i]!;
    if (b === LF) {
      out[o++] = CR;
      out[o++] = LF;
    } else if (b === CR) {
      out[o++] = CR;
      out[o++] = 0;
    } else {
      out[o++] = b;
    }
  }
  return out;
}

/** Netascii -> local (Unix) bytes: CR LF -> LF, CR NUL -> CR; any other CR is kept. */
export function fromNetascii(wire: Buffer): Buffer {
  const out = Buffer.allocUnsafe(wire.length);
  let o = 0;
  for (let i = 0; i < wire.length; i++) {
    const b = wire[i]!;
    if (b === CR && i + 1 < wire.length) {
      const next = wire[i + 1];
      if (next === LF) {
        out[o++] = LF;
        i++;
        continue;
      }
      if (next === 0) {
        out[o++] = CR;
        i++;
        continue;
      }
    }
    out[o++] = b;
  }
  return out.subarray(0, o);
}
