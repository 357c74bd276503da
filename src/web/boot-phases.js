/**
 * The milestones of a boot and the phases between them, for comparing boots:
 * dhcp (first event -> first kernel/loader transfer), loading (-> initrd stage
 * or first NBD connect), mounting (-> root-mounted), starting (-> init).
 * A phase whose end was never reached is null. Pure, like boot-segments.js.
 */
import { bootSegments } from "./boot-segments.js";

export const PHASES = [
  { key: "dhcp", name: "DHCP" },
  { key: "loading", name: "loading" },
  { key: "mounting", name: "root mount" },
  { key: "starting", name: "layers + init" },
];

export function bootPhases(boot) {
  const segs = bootSegments(boot);
  const firstOf = (pred) => {
    const s = segs.filter(pred);
    return s.length ? Math.min(...s.map((x) => x.start)) : undefined;
  };
  const stageAt = (stage) => boot.events.find((e) => e.type === "client.stage" && e.stage === stage)?.at;
  const t0 = boot.start;
  const tLoad = firstOf((s) => s.lane === "tftp" || s.lane === "http");
  const tInitrd = stageAt("initrd") ?? firstOf((s) => s.lane === "nbd");
  const tRoot = stageAt("root-mounted") ?? stageAt("layers-applied");
  const tUp = stageAt("init");
  const tFailed = stageAt("failed");
  const marks = [t0, tLoad, tInitrd, tRoot, tUp];
  const phases = {};
  let prev = t0;
  PHASES.forEach((p, i) => {
    const end = marks[i + 1];
    if (end === undefined || prev === undefined) {
      phases[p.key] = null;
      prev = undefined;
      return;
    }
    phases[p.key] = { start: prev, end, duration: Math.max(0, end - prev) };
    prev = end;
  });
  const bytes = segs
    .filter((s) => s.lane === "tftp" || s.lane === "http")
    .reduce((n, s) => n + (s.bytes ?? 0), 0);
  const end = tUp ?? tFailed ?? boot.end;
  return {
    start: t0,
    end,
    total: end - t0,
    outcome: boot.outcome,
    phases,
    bytesLoaded: bytes,
    failedAt: tFailed,
  };
}
