/**
 * The fleet: every machine declared or seen, with its groups, image, address
 * and boot state, kept live from the event stream. Filters (text, state,
 * group) live in the address (#/machines?q=lab&state=up&group=lab3) so a
 * filtered view can be bookmarked.
 */
import { apiGet, listOf } from "./api-client.js";
import { dataTable, element } from "./element.js";
import { FleetFilter } from "./fleet-filter.js";
import { fleetRow } from "./fleet-row.js";
import { StateCounts } from "./state-counts.js";

/** After a burst of events, read the list again (and once more later, after the store caught up). */
const REFRESH_DELAYS_MS = [300, 2500];

export function renderFleetView(root, { live, params, setParams }) {
  document.title = "Fleet · bootfleet";
  let machines = [];
  /** Each machine's state when the rows were last drawn, to highlight the ones that changed. */
  let previous = new Map();

  const filter = new FleetFilter(params, update);
  const counts = new StateCounts((s) => filter.toggleState(s));
  const summary = element("p", { class: "muted", "aria-live": "polite" });
  const tbody = element("tbody");
  const error = element("div");

  root.append(
    element("h1", {}, "Fleet"),
    counts.node,
    filter.node,
    error,
    summary,
    dataTable(
      { id: "fleet-table" },
      ["Machine", "MAC", "Groups", "Image", "IP", "State", "Last seen", ""],
      tbody,
      "Machines",
    ),
  );

  function row(m) {
    const id = m.mac ?? m.hostname;
    return fleetRow(m, { changed: previous.has(id) && previous.get(id) !== m.state });
  }

  function update() {
    setParams(filter.params());
    counts.show(machines, filter.state);
    const shown = machines.filter((m) => filter.matches(m));
    summary.textContent = `${shown.length} of ${machines.length} machine${machines.length === 1 ? "" : "s"} shown`;
    // Keep focus on the same control when a live refresh redraws the rows.
    const active = document.activeElement;
    const focusKey =
      active && tbody.contains(active)
        ? [active.closest("tr")?.dataset.key, active.getAttribute("aria-label") ?? active.textContent]
        : null;
    tbody.replaceChildren(
      ...(shown.length
        ? shown.map(row)
        : [element("tr", {}, element("td", { colspan: 8, class: "empty" }, "No machine matches."))]),
    );
    if (focusKey) {
      const tr = [...tbody.rows].find((r) => r.dataset.key === focusKey[0]);
      const target = [...(tr?.querySelectorAll("a, button") ?? [])].find(
        (x) => (x.getAttribute("aria-label") ?? x.textContent) === focusKey[1],
      );
      target?.focus();
    }
    previous = new Map(machines.map((m) => [m.mac ?? m.hostname, m.state]));
  }

  async function load() {
    try {
      const data = await apiGet("/machines");
      machines = listOf(data, "machines")
        .slice()
        .sort((a, b) =>
          String(a.hostname ?? a.mac).localeCompare(String(b.hostname ?? b.mac), undefined, {
            numeric: true,
          }),
        );
      error.replaceChildren();
      filter.showGroups(machines);
      update();
    } catch (err) {
      error.replaceChildren(element("p", { class: "error-box" }, `Could not list machines: ${err.message}`));
    }
  }

  let timers = [];
  const unsubscribe = live.subscribe((event) => {
    if (!event.mac) return;
    for (const t of timers) clearTimeout(t);
    timers = REFRESH_DELAYS_MS.map((ms) => setTimeout(load, ms));
  });

  load();
  return () => {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
  };
}
