/**
 * Boots side by side: one row per boot, its phases (DHCP, loading, root
 * mount, layers + init) as stacked bars on one shared scale, so a boot that
 * got slower shows where it lost the time.
 */
import { PHASES } from "./boot-phases.js";
import { svgElement } from "./element.js";
import { formatDuration, formatTime } from "./format-units.js";

const WIDTH = 1000;
const LEFT = 150;
const RIGHT = 90;
const ROW_H = 26;
const TOP = 8;

export function bootCompareChart(rows) {
  const max = Math.max(1, ...rows.map((r) => r.total));
  const plotW = WIDTH - LEFT - RIGHT;
  const height = TOP + rows.length * ROW_H + 6;
  const svg = svgElement("svg", {
    class: "compare",
    viewBox: `0 0 ${WIDTH} ${height}`,
    role: "group",
    "aria-label": "Boot phases of the last boots, side by side",
  });
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    svg.append(svgElement("text", { x: 4, y: y + 16, class: "lane-name" }, formatTime(r.start)));
    let x = LEFT;
    for (const p of PHASES) {
      const ph = r.phases[p.key];
      if (!ph) continue;
      const w = (ph.duration / max) * plotW;
      const label = `${p.name}: ${formatDuration(ph.duration)}`;
      svg.append(
        svgElement(
          "rect",
          {
            class: `seg phase-${phaseClass(p.key)}`,
            x,
            y: y + 3,
            width: Math.max(1, w),
            height: ROW_H - 8,
            tabindex: 0,
            role: "img",
            "aria-label": `boot at ${formatTime(r.start)}, ${label}`,
          },
          svgElement("title", {}, label),
        ),
      );
      x += w;
    }
    const outcome = r.outcome === "up" ? "" : ` (${r.outcome})`;
    svg.append(svgElement("text", { x: x + 6, y: y + 16 }, `${formatDuration(r.total)}${outcome}`));
  });
  return svg;
}

/** Phases share the colours of the machine states they correspond to. */
export function phaseClass(key) {
  return { dhcp: "dhcp", loading: "loading", mounting: "root-mounted", starting: "up" }[key] ?? key;
}
