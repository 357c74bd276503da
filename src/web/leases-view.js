/** DHCP leases (full mode), searchable by address, MAC, name and network, filtered by state. */
import { apiGet, listOf } from "./api-client.js";
import { dataTable, element } from "./element.js";
import { formatAgo, formatTime } from "./format-units.js";

const LEASE_STATES = ["offered", "bound", "declined", "released", "expired"];

export function renderLeasesView(root, { live, params, setParams }) {
  document.title = "Leases · bootfleet";
  let leases = [];
  const search = element("input", {
    type: "search",
    id: "lease-search",
    placeholder: "IP, MAC, hostname…",
    value: params.get("q") ?? "",
  });
  const stateSelect = element(
    "select",
    { id: "lease-state" },
    element("option", { value: "" }, "any state"),
    LEASE_STATES.map((s) => element("option", { value: s }, s)),
  );
  stateSelect.value = params.get("state") ?? "";
  const networkSelect = element("select", { id: "lease-network" });
  const summary = element("p", { class: "muted", "aria-live": "polite" });
  const tbody = element("tbody");
  const error = element("div");
  root.append(
    element("h1", {}, "Leases"),
    element(
      "div",
      { class: "toolbar", role: "search" },
      element("label", { for: "lease-search" }, "Search", search),
      element("label", { for: "lease-state" }, "State", stateSelect),
      element("label", { for: "lease-network" }, "Network", networkSelect),
    ),
    error,
    summary,
    dataTable(
      { id: "leases-table" },
      ["IP", "MAC", "Hostname", "Network", "State", "Since", "Expires"],
      tbody,
    ),
  );
  for (const c of [search, stateSelect, networkSelect])
    c.addEventListener(c === search ? "input" : "change", update);

  function update() {
    const p = new URLSearchParams();
    if (search.value) p.set("q", search.value);
    if (stateSelect.value) p.set("state", stateSelect.value);
    if (networkSelect.value) p.set("network", networkSelect.value);
    setParams(p);
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const now = Date.now();
    const shown = leases.filter((l) => {
      if (stateSelect.value && l.state !== stateSelect.value) return false;
      if (networkSelect.value && l.network !== networkSelect.value) return false;
      const hay =
        `${l.ip} ${l.mac} ${l.hostname ?? ""} ${l.network} ${l.state} ${l.clientId ?? ""}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
    summary.textContent = `${shown.length} of ${leases.length} lease${leases.length === 1 ? "" : "s"} shown`;
    tbody.replaceChildren(
      ...(shown.length
        ? shown.map((l) =>
            element(
              "tr",
              { "data-ip": l.ip },
              element("td", { class: "mono" }, l.ip),
              element(
                "td",
                { class: "mono" },
                element("a", { href: `#/machines/${encodeURIComponent(l.mac)}` }, l.mac),
              ),
              element("td", {}, l.hostname ?? "—"),
              element("td", { class: "mono" }, l.network),
              element("td", {}, l.state),
              element("td", { title: formatTime(l.start) }, formatAgo(l.start, now)),
              element(
                "td",
                { title: formatTime(l.expires) },
                l.expires > now
                  ? `in ${formatAgo(now, l.expires).replace(" ago", "")}`
                  : formatAgo(l.expires, now),
              ),
            ),
          )
        : [element("tr", {}, element("td", { colspan: 7, class: "empty" }, "No lease matches."))]),
    );
  }

  async function load() {
    try {
      leases = listOf(await apiGet("/leases"), "leases");
      error.replaceChildren();
    } catch (err) {
      error.replaceChildren(element("p", { class: "error-box" }, `Could not list leases: ${err.message}`));
      return;
    }
    const keep = networkSelect.value || params.get("network") || "";
    const networks = [...new Set(leases.map((l) => l.network))].sort();
    networkSelect.replaceChildren(
      element("option", { value: "" }, "any network"),
      ...networks.map((n) => element("option", { value: n }, n)),
    );
    networkSelect.value = networks.includes(keep) ? keep : "";
    update();
  }

  let timer = 0;
  const unsubscribe = live.subscribe((e) => {
    if (e.protocol !== "dhcp") return;
    clearTimeout(timer);
    timer = setTimeout(load, 500);
  });
  load();
  return () => {
    unsubscribe();
    clearTimeout(timer);
  };
}
