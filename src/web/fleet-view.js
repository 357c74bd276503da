/**
 * The fleet: every machine declared or seen, with its groups, image, address
 * and boot state, kept live from the event stream. Filters (text, state,
 * group) live in the address (#/machines?q=lab&state=up&group=lab3) so a
 * filtered view can be bookmarked.
 */
import { apiGet, apiWrite, listOf, seg } from "./api-client.js";
import { dataTable, element } from "./element.js";
import { formatAgo, formatTime } from "./format-units.js";
import { MACHINE_STATES } from "./machine-states.js";
import { notify } from "./notify.js";
import { stateBadge } from "./state-badge.js";

/** After a burst of events, read the list again (and once more later, after the store caught up). */
const REFRESH_DELAYS_MS = [300, 2500];

export function renderFleetView(root, { live, params, setParams }) {
  document.title = "Fleet · bootfleet";
  let machines = [];
  let previous = new Map();
  const filter = {
    q: params.get("q") ?? "",
    state: params.get("state") ?? "",
    group: params.get("group") ?? "",
  };

  const search = element("input", {
    type: "search",
    id: "fleet-search",
    placeholder: "name, MAC, IP, image…",
    value: filter.q,
    oninput: () => {
      filter.q = search.value;
      update();
    },
  });
  const stateSelect = element(
    "select",
    {
      id: "fleet-state",
      onchange: () => {
        filter.state = stateSelect.value;
        update();
      },
    },
    element("option", { value: "" }, "any state"),
    MACHINE_STATES.map((s) => element("option", { value: s }, s)),
  );
  stateSelect.value = filter.state;
  const groupSelect = element("select", {
    id: "fleet-group",
    onchange: () => {
      filter.group = groupSelect.value;
      update();
    },
  });
  const counts = element("ul", { class: "counts", "aria-label": "Machines per state" });
  const summary = element("p", { class: "muted", "aria-live": "polite" });
  const tbody = element("tbody");
  const error = element("div");

  root.append(
    element("h1", {}, "Fleet"),
    counts,
    element(
      "div",
      { class: "toolbar", role: "search" },
      element("label", { for: "fleet-search" }, "Search", search),
      element("label", { for: "fleet-state" }, "State", stateSelect),
      element("label", { for: "fleet-group" }, "Group", groupSelect),
      element(
        "button",
        {
          type: "button",
          onclick: () => {
            filter.q = filter.state = filter.group = "";
            search.value = stateSelect.value = groupSelect.value = "";
            update();
          },
        },
        "Clear filters",
      ),
    ),
    error,
    summary,
    dataTable(
      { id: "fleet-table" },
      ["Machine", "MAC", "Groups", "Image", "IP", "State", "Last seen", ""],
      tbody,
      "Machines",
    ),
  );

  function matches(m) {
    if (filter.state && m.state !== filter.state) return false;
    if (filter.group && !(m.groups ?? []).includes(filter.group)) return false;
    const q = filter.q.trim().toLowerCase();
    if (!q) return true;
    const hay = [m.hostname, m.mac, m.ip, m.image, m.state, ...(m.groups ?? [])]
      .filter(Boolean)
      .join(" ")
      .toLowerCase();
    return q.split(/\s+/).every((w) => hay.includes(w));
  }

  // The count buttons are made once and updated in place, so a keyboard user
  // who presses one keeps focus on it.
  const countButtons = new Map();
  for (const s of ["", ...MACHINE_STATES]) {
    const n = element("span", { class: "n", "data-count": s || "all" }, "0");
    const b = element(
      "button",
      {
        type: "button",
        title: s ? `show only machines in state ${s}` : "show every machine",
        onclick: () => {
          filter.state = stateSelect.value = filter.state === s ? "" : s;
          update();
        },
      },
      s ? stateBadge(s) : "all",
      n,
    );
    countButtons.set(s, { b, n });
    counts.append(element("li", {}, b));
  }

  function renderCounts() {
    const n = new Map([["", machines.length]]);
    for (const m of machines) n.set(m.state, (n.get(m.state) ?? 0) + 1);
    for (const [s, { b, n: label }] of countButtons) {
      label.textContent = String(n.get(s) ?? 0);
      b.setAttribute("aria-pressed", String(filter.state === s));
    }
  }

  function renderGroups() {
    const groups = [...new Set(machines.flatMap((m) => m.groups ?? []))].sort();
    const keep = filter.group;
    groupSelect.replaceChildren(
      element("option", { value: "" }, "any group"),
      ...groups.map((g) => element("option", { value: g }, g)),
    );
    if (keep && !groups.includes(keep)) groupSelect.append(element("option", { value: keep }, keep));
    groupSelect.value = keep;
  }

  function row(m) {
    const id = m.mac ?? m.hostname;
    const changed = previous.has(id) && previous.get(id) !== m.state;
    return element(
      "tr",
      {
        "data-key": id,
        "data-mac": m.mac ?? "",
        "data-state": m.state,
        class: changed ? "changed" : undefined,
      },
      element(
        "td",
        {},
        element("a", { href: `#/machines/${encodeURIComponent(id)}` }, m.hostname ?? m.mac),
        m.declared
          ? null
          : [
              " ",
              element(
                "span",
                { class: "tag", title: "seen on the network, not declared in the config" },
                "seen",
              ),
            ],
      ),
      element("td", { class: "mono" }, m.mac ?? "—"),
      element("td", {}, (m.groups ?? []).join(", ") || element("span", { class: "muted" }, "—")),
      element("td", {}, m.image ?? element("span", { class: "muted" }, "—")),
      element("td", { class: "mono" }, m.ip ?? "—"),
      element("td", {}, stateBadge(m.state)),
      element(
        "td",
        { title: m.last_seen ? formatTime(m.last_seen) : "" },
        m.last_seen ? formatAgo(m.last_seen) : element("span", { class: "muted" }, "never"),
      ),
      element(
        "td",
        {},
        m.mac
          ? element(
              "button",
              {
                type: "button",
                class: "quiet",
                "aria-label": `Wake ${m.hostname ?? m.mac}`,
                onclick: () => wake(m),
              },
              "Wake",
            )
          : null,
      ),
    );
  }

  function update() {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) p.set(k, v);
    setParams(p);
    renderCounts();
    const shown = machines.filter(matches);
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
      renderGroups();
      update();
    } catch (err) {
      error.replaceChildren(element("p", { class: "error-box" }, `Could not list machines: ${err.message}`));
    }
  }

  async function wake(m) {
    try {
      await apiWrite("POST", `/machines/${seg(m.mac)}/wake`, {});
      notify(`Wake-on-LAN packet sent to ${m.hostname ?? m.mac}`);
    } catch (err) {
      notify(`Wake ${m.hostname ?? m.mac}: ${err.message}`, "error");
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
