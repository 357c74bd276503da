/**
 * The machine page's "Boot timeline" panel: one boot at a time (the newest
 * unless the user picks another) as a chart with a lane per protocol, what
 * the focused segment is, the holes where the machine asked for nothing
 * (boot-holes.js) in words, and the same events as a table for those who
 * do not read charts.
 */
import { bootHoles } from "./boot-holes.js";
import { bootPhases } from "./boot-phases.js";
import { LANES } from "./boot-segments.js";
import { bootTimelineChart } from "./boot-timeline-chart.js";
import { element } from "./element.js";
import { detailText } from "./event-detail-text.js";
import { formatDuration, formatTime } from "./format-units.js";

export class BootTimelinePanel {
  #boots = [];
  /** Index into #boots chosen by the user; null follows the newest boot. */
  #chosen = null;
  #select = element("select", { id: "boot-select" });
  #chart = element("div", { id: "timeline" });
  #focused = element("p", { class: "muted", id: "segment-info", "aria-live": "polite" }, " ");
  #holes = element("ul", {
    class: "holes",
    id: "boot-holes",
    "aria-label": "Waits with no request from the machine",
  });
  #table = element("div");
  #node;

  constructor() {
    this.#node = element(
      "section",
      { class: "panel", "aria-labelledby": "m-timeline" },
      element("h2", { id: "m-timeline" }, "Boot timeline"),
      element("div", { class: "toolbar" }, element("label", { for: "boot-select" }, "Boot", this.#select)),
      this.#chart,
      element(
        "ul",
        { class: "legend", "aria-label": "Lanes" },
        LANES.map((l) => element("li", {}, element("span", { class: `swatch lane-${l}` }), l)),
        element(
          "li",
          {},
          element("span", { class: "swatch", style: "background:var(--lane-error)" }),
          "error",
        ),
      ),
      this.#focused,
      this.#holes,
      element("details", {}, element("summary", {}, "Timeline as a table"), this.#table),
    );
    this.#select.addEventListener("change", () => {
      const i = Number(this.#select.value);
      this.#chosen = i === this.#boots.length - 1 ? null : i;
      this.#render();
    });
  }

  get node() {
    return this.#node;
  }

  /** `boots` as splitBoots gives them, oldest first. */
  show(boots) {
    this.#boots = boots;
    this.#render();
  }

  #render() {
    const boots = this.#boots;
    if (boots.length === 0) {
      this.#select.replaceChildren(element("option", { value: "" }, "no boot recorded"));
      this.#chart.replaceChildren(
        element("p", { class: "empty" }, "No boot events recorded for this machine yet."),
      );
      this.#table.replaceChildren();
      this.#holes.replaceChildren();
      return;
    }
    const index = this.#chosen ?? boots.length - 1;
    this.#select.replaceChildren(
      ...boots
        .map((b, i) => {
          const p = bootPhases(b);
          return element(
            "option",
            { value: i },
            `${formatTime(b.start)} · ${b.outcome === "incomplete" ? "in progress or stopped" : b.outcome} · ${formatDuration(p.total)}`,
          );
        })
        .reverse(),
    );
    this.#select.value = String(index);
    const boot = boots[index];
    this.#chart.replaceChildren(
      bootTimelineChart(boot, {
        onFocus: (s) => {
          this.#focused.textContent = `${s.title} · from +${formatDuration(s.start - boot.start)}`;
        },
      }),
    );
    const holes = bootHoles(boot);
    this.#holes.replaceChildren(
      ...holes.map((h) =>
        element(
          "li",
          {},
          `${h.text}, from +${formatDuration(h.start - boot.start)}: after ${h.after}, before ${h.before}`,
        ),
      ),
    );
    this.#showTable(boot, holes);
  }

  #showTable(boot, holes) {
    const events = [...boot.events].sort((a, b) => a.at - b.at || a.id - b.id);
    const rows = [];
    let next = 0;
    for (const e of events) {
      // Each hole as a row of its own where it starts, so the table tells it too.
      while (next < holes.length && holes[next].start < e.at) {
        const h = holes[next++];
        rows.push(
          element(
            "tr",
            { class: "hole-row" },
            element("td", { class: "num" }, `+${formatDuration(h.start - boot.start)}`),
            element("td", {}, ""),
            element("td", { colspan: 3 }, h.text),
          ),
        );
      }
      rows.push(
        element(
          "tr",
          {},
          element("td", { class: "num" }, `+${formatDuration(e.at - boot.start)}`),
          element("td", {}, e.protocol),
          element("td", {}, e.type),
          element("td", {}, e.stage ?? ""),
          element("td", { class: "mono" }, detailText(e.detail)),
        ),
      );
    }
    this.#table.replaceChildren(
      element(
        "table",
        {},
        element(
          "thead",
          {},
          element(
            "tr",
            {},
            ["Offset", "Lane", "Event", "Stage", "Detail"].map((h) => element("th", { scope: "col" }, h)),
          ),
        ),
        element("tbody", {}, rows),
      ),
    );
  }
}
