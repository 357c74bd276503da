/**
 * The holes of one boot: stretches where bootfleet saw nothing from the
 * machine (no DHCP, no file request, no NBD, no stage report), named so an
 * administrator sees where boot time goes: "15.2 s with no request from
 * the machine". Such a hole is firmware or a kernel doing something of its
 * own: iPXE waiting for an IPv6 router (services.ra ends that), a kernel
 * decompressing and probing hardware, a loader's menu timeout. Pure, like
 * boot-segments.js.
 */
import { bootSegments } from "./boot-segments.js";

/** Shorter gaps are the ordinary pauses between one protocol step and the next. */
export const HOLE_MS = 3000;

/**
 * Holes of at least `minMs` between the segments of `boot`, in time order:
 * { start, end, duration, after, before, text }. `after` and `before` name
 * the segments on either side ("DHCP 198.18.0.100", "HTTP boot.ipxe").
 */
export function bootHoles(boot, minMs = HOLE_MS) {
  const segs = bootSegments(boot);
  const holes = [];
  let covered = null;
  for (const s of segs) {
    if (covered !== null && s.start - covered.end >= minMs) {
      const duration = s.start - covered.end;
      holes.push({
        start: covered.end,
        end: s.start,
        duration,
        after: segmentName(covered.last),
        before: segmentName(s),
        text: `${(duration / 1000).toFixed(1)} s with no request from the machine`,
      });
    }
    if (covered === null || s.end >= covered.end) covered = { end: s.end, last: s };
  }
  return holes;
}

function segmentName(s) {
  return `${s.lane.toUpperCase()} ${s.label}`;
}
