/**
 * An event's detail as one line of key=value pairs, for the tables that list
 * events: byte counts and durations in the units people read.
 */
import { formatBytes, formatDuration } from "./format-units.js";

export function detailText(d) {
  if (!d || typeof d !== "object") return "";
  const parts = [];
  for (const [k, v] of Object.entries(d)) {
    if (k === "bytes" && typeof v === "number") parts.push(`bytes=${formatBytes(v)}`);
    else if (k === "duration_ms" && typeof v === "number") parts.push(`took ${formatDuration(v)}`);
    else parts.push(`${k}=${typeof v === "object" ? JSON.stringify(v) : v}`);
  }
  return parts.join(" ");
}
