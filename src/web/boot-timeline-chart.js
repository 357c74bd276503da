/**
 * One boot as an SVG chart: a lane per protocol (dhcp, tftp, http, nbd,
 * client), each transfer or stage a bar on a shared time axis from the
 * boot's first event. Every bar has a <title> (the tooltip: file, bytes,
 * duration) and is focusable, so the details are reachable by keyboard too;
 * `onFocus(segment)` lets the page show them in text beside the chart.
 * Holes (boot-holes.js), where the machine asked for nothing, are shaded
 * across every lane and say how long they lasted.
 */
import { bootHoles } from "./boot-holes.js";
import { bootSegments, LANES } from "./boot-segments.js";
import { svgElement } from "./element.js";
import { formatBytes, formatDuration } from "./format-units.js";

const WIDTH = 1000;
const LEFT = 64;
const RIGHT = 24;
const TOP = 30;
const LANE_H = 32;
const BAR_H = 20;
/** Average glyph width at 11px, to decide whether a label fits inside its bar. */
const CHAR_W = 6.4;

export function niceStep(spanMs, maxTicks = 10) {
  const steps = [1, 2, 5];
  for (let p = 1; ; p *= 10) {
    for (const s of steps) {
      const step = s * p;
      if (spanMs / step <= maxTicks) return step;
    }
  }
}

function tickLabel(ms, step) {
  if (step >= 1000) return `${(ms / 1000).toFixed(step % 1000 === 0 ? 0 : 1)} s`;
  return `${ms} ms`;
}

/** What a bar says, from the fullest text down to nothing, whichever fits `width`. */
export function segmentLabel(seg, width) {
  const bytes = seg.bytes !== undefined ? formatBytes(seg.bytes) : null;
  const dur = seg.duration > 0 ? formatDuration(seg.duration) : null;
  const options = [
    [seg.label, bytes, dur].filter(Boolean).join(" · "),
    [seg.label, dur].filter(Boolean).join(" · "),
    seg.label,
    dur,
  ].filter(Boolean);
  return options.find((t) => t.length * CHAR_W + 8 <= width) ?? "";
}

export function bootTimelineChart(boot, { onFocus } = {}) {
  const segs = bootSegments(boot);
  const start = boot.start;
  const span = Math.max(1, boot.end - start);
  const plotW = WIDTH - LEFT - RIGHT;
  const x = (t) => LEFT + ((t - start) / span) * plotW;
  const height = TOP + LANES.length * LANE_H + 6;

  const svg = svgElement("svg", {
    class: "timeline",
    viewBox: `0 0 ${WIDTH} ${height}`,
    role: "group",
    "aria-label": `Boot timeline, ${formatDuration(span)} from the first event`,
  });

  const step = niceStep(span);
  const axis = svgElement("g", { class: "axis", "aria-hidden": "true" });
  for (let t = 0; t <= span + 0.5; t += step) {
    const xx = x(start + t);
    axis.append(
      svgElement("line", { x1: xx, x2: xx, y1: TOP - 6, y2: height - 4 }),
      svgElement("text", { x: xx, y: TOP - 10, "text-anchor": "middle" }, tickLabel(t, step)),
    );
  }
  svg.append(axis);

  LANES.forEach((lane, i) => {
    const y = TOP + i * LANE_H;
    svg.append(
      svgElement("text", { class: "lane-name", x: 8, y: y + LANE_H / 2 + 4 }, lane),
      svgElement("line", {
        class: "lane-rule",
        x1: LEFT,
        x2: WIDTH - RIGHT,
        y1: y + LANE_H,
        y2: y + LANE_H,
        stroke: "currentColor",
        "stroke-opacity": 0.12,
      }),
    );
  });

  for (const hole of bootHoles(boot)) {
    const x0 = x(hole.start);
    const w = x(hole.end) - x0;
    const title = `${hole.text} · after ${hole.after}, before ${hole.before}`;
    const text = [hole.text, `${(hole.duration / 1000).toFixed(1)} s idle`].find(
      (t) => t.length * CHAR_W + 8 <= w,
    );
    svg.append(
      svgElement(
        "g",
        { class: "hole-group" },
        svgElement(
          "rect",
          {
            class: "hole",
            x: x0,
            y: TOP,
            width: w,
            height: LANES.length * LANE_H,
            tabindex: 0,
            role: "img",
            "aria-label": title,
            onfocus: () => onFocus?.({ title, start: hole.start }),
            onmouseenter: () => onFocus?.({ title, start: hole.start }),
          },
          svgElement("title", {}, title),
        ),
        text
          ? svgElement(
              "text",
              {
                class: "hole-label",
                x: x0 + w / 2,
                y: TOP + (LANES.length * LANE_H) / 2 + 4,
                "text-anchor": "middle",
              },
              text,
            )
          : null,
      ),
    );
  }

  // Where the last label of each lane ends, so labels beside short bars never overlap.
  const labelEnd = new Map();
  segs.forEach((seg, i) => {
    const lane = LANES.indexOf(seg.lane);
    if (lane < 0) return;
    const y = TOP + lane * LANE_H + (LANE_H - BAR_H) / 2;
    const x0 = x(seg.start);
    const w = Math.max(seg.point ? 4 : 3, x(seg.end) - x0);
    const cls = `seg ${seg.error ? "lane-error" : `lane-${seg.lane}`}`;
    const g = svgElement("g", { class: "seg-group", "data-lane": seg.lane });
    const rect = svgElement(
      "rect",
      {
        class: cls,
        x: seg.point ? x0 - 2 : x0,
        y,
        width: w,
        height: BAR_H,
        rx: seg.point ? 1 : 3,
        tabindex: 0,
        role: "img",
        "aria-label": seg.title,
        "data-lane": seg.lane,
        onfocus: () => onFocus?.(seg),
        onmouseenter: () => onFocus?.(seg),
      },
      svgElement("title", {}, seg.title),
    );
    g.append(rect);
    const inside = segmentLabel(seg, w);
    if (inside) {
      g.append(svgElement("text", { class: "seg-label", x: x0 + 4, y: y + BAR_H / 2 + 4 }, inside));
      labelEnd.set(seg.lane, x0 + w);
    } else if (x0 + w + 4 > (labelEnd.get(seg.lane) ?? 0) + 6) {
      // A short bar gets its label beside it when there is room before the
      // next bar of its lane (or the right edge).
      const next = segs.slice(i + 1).find((s) => s.lane === seg.lane && x(s.start) > x0 + w);
      const room = Math.min(180, (next ? x(next.start) : WIDTH - RIGHT) - (x0 + w + 4) - 4);
      const text = segmentLabel(seg, room);
      if (text) {
        g.append(
          svgElement("text", { class: "seg-label outside", x: x0 + w + 4, y: y + BAR_H / 2 + 4 }, text),
        );
        labelEnd.set(seg.lane, x0 + w + 4 + text.length * CHAR_W);
      }
    }
    svg.append(g);
  });
  return svg;
}
