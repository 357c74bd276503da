/**
 * From a machine's events to its boots: where one boot ends and the next
 * begins. Pure, like boot-segments.js (the timeline of each boot) and
 * boot-phases.js (its phases, for comparing boots).
 *
 * Events are the store's rows: { id, at, type, protocol, mac, ip, stage, detail }.
 */
import { bootSegments, LANES, laneOf } from "./boot-segments.js";

/** Client stages that end a boot (the client hook's last report). */
const TERMINAL_STAGES = new Set(["init", "failed"]);

/**
 * A machine that says nothing for this long and then speaks again is booting
 * anew (a hung PXE ROM that was power-cycled never reports a final stage).
 */
export const BOOT_GAP_MS = 5 * 60_000;

/**
 * Splits events (any order) into boots, oldest first. A boot ends at a final
 * client stage (init or failed) or a DHCP RELEASE. After that, what the
 * running machine does (DHCP renewals, NBD reads, the NBD disconnect at
 * shutdown) is kept in `later`, not on the timeline; the next boot starts
 * with what only a booting machine does: a DHCP DISCOVER, a TFTP or HTTP
 * boot file request, or a client stage. A DISCOVER inside an open boot does
 * not split it: the PXE ROM, iPXE and the initramfs each send one. A boot
 * that never reached a final stage ends before a silence longer than gapMs.
 */
export function splitBoots(events, gapMs = BOOT_GAP_MS) {
  const sorted = [...events].filter(isBootEvent).sort((a, b) => a.at - b.at || (a.id ?? 0) - (b.id ?? 0));
  const boots = [];
  let current = null;
  for (const e of sorted) {
    if (current?.closed) {
      if (!startsBoot(e)) {
        current.later.push(e);
        continue;
      }
      current = null;
    }
    if (current && e.at - current.end > gapMs) current = null;
    if (!current) {
      current = { start: e.at, end: e.at, events: [], later: [], outcome: "incomplete", closed: false };
      boots.push(current);
    }
    current.events.push(e);
    current.end = Math.max(current.end, e.at);
    if (e.type === "client.stage" && TERMINAL_STAGES.has(e.stage)) {
      current.outcome = e.stage === "init" ? "up" : "failed";
      current.closed = true;
    } else if (e.type === "dhcp.release") {
      current.outcome = "released";
      current.closed = true;
    }
  }
  for (const b of boots) {
    const segs = bootSegments(b);
    b.start = Math.min(b.start, ...segs.map((s) => s.start));
    b.end = Math.max(b.end, ...segs.map((s) => s.end));
  }
  return boots;
}

function startsBoot(e) {
  const lane = laneOf(e);
  return e.type === "dhcp.discover" || lane === "tftp" || lane === "http" || e.type === "client.stage";
}

function isBootEvent(e) {
  return e && typeof e.at === "number" && LANES.includes(laneOf(e));
}
