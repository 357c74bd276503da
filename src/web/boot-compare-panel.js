/**
 * The machine page's "Last boots compared" panel: the newest boots side by
 * side, phase by phase (DHCP, loading, root mount, layers and init), as a
 * chart and as a table, so a boot that got slower shows where.
 */
import { bootCompareChart, phaseClass } from "./boot-compare-chart.js";
import { bootPhases, PHASES } from "./boot-phases.js";
import { element } from "./element.js";
import { formatBytes, formatDuration, formatTime } from "./format-units.js";

const COMPARE_BOOTS = 8;

export class BootComparePanel {
  #compare = element("div", { id: "boot-compare" });
  #node = element(
    "section",
    { class: "panel", "aria-labelledby": "m-compare" },
    element("h2", { id: "m-compare" }, "Last boots compared"),
    this.#compare,
  );

  get node() {
    return this.#node;
  }

  /** `boots` as splitBoots gives them, oldest first. */
  show(boots) {
    if (boots.length === 0) {
      this.#compare.replaceChildren(element("p", { class: "empty" }, "No boots to compare yet."));
      return;
    }
    const recent = boots
      .slice(-COMPARE_BOOTS)
      .reverse()
      .map((b) => bootPhases(b));
    const head = element(
      "tr",
      {},
      element("th", { scope: "col" }, "Boot"),
      PHASES.map((p) =>
        element(
          "th",
          { scope: "col", class: "num" },
          element("span", { class: `swatch phase-${phaseClass(p.key)}` }),
          p.name,
        ),
      ),
      element("th", { scope: "col", class: "num" }, "Loaded"),
      element("th", { scope: "col", class: "num" }, "Total"),
      element("th", { scope: "col" }, "Result"),
    );
    const body = recent.map((r) =>
      element(
        "tr",
        {},
        element("th", { scope: "row" }, formatTime(r.start)),
        PHASES.map((p) =>
          element("td", { class: "num" }, r.phases[p.key] ? formatDuration(r.phases[p.key].duration) : "—"),
        ),
        element("td", { class: "num" }, r.bytesLoaded ? formatBytes(r.bytesLoaded) : "—"),
        element("td", { class: "num" }, formatDuration(r.total)),
        element("td", {}, r.outcome === "incomplete" ? "in progress or stopped" : r.outcome),
      ),
    );
    this.#compare.replaceChildren(
      bootCompareChart(recent),
      element(
        "div",
        { class: "table-wrap" },
        element("table", { id: "compare-table" }, element("thead", {}, head), element("tbody", {}, body)),
      ),
    );
  }
}
