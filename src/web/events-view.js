/**
 * Every boot event, newest first, searchable, with new ones added live
 * (a pause button stops that while reading).
 */
import { apiGet, listOf } from "./api-client.js";
import { dataTable, element } from "./element.js";
import { formatBytes, formatDuration, formatTime } from "./format-units.js";

const PROTOCOLS = ["dhcp", "tftp", "http", "nbd", "client", "syslog", "image", "api", "wol"];
const MAX_ROWS = 2000;

export function renderEventsView(root, { live, params, setParams }) {
  document.title = "Events · bootfleet";
  let events = [];
  let paused = false;
  const search = element("input", {
    type: "search",
    id: "event-search",
    placeholder: "type, MAC, IP, file…",
    value: params.get("q") ?? "",
  });
  const protoSelect = element(
    "select",
    { id: "event-protocol" },
    element("option", { value: "" }, "any protocol"),
    PROTOCOLS.map((p) => element("option", { value: p }, p)),
  );
  protoSelect.value = params.get("protocol") ?? "";
  const limitSelect = element(
    "select",
    { id: "event-limit" },
    [100, 500, 1000].map((n) => element("option", { value: n }, `last ${n}`)),
  );
  limitSelect.value = params.get("limit") ?? "500";
  const pause = element(
    "button",
    { type: "button", id: "event-pause", "aria-pressed": "false" },
    "Pause live updates",
  );
  const summary = element("p", { class: "muted", "aria-live": "polite" });
  const tbody = element("tbody");
  const error = element("div");
  root.append(
    element("h1", {}, "Events"),
    element(
      "div",
      { class: "toolbar", role: "search" },
      element("label", { for: "event-search" }, "Search", search),
      element("label", { for: "event-protocol" }, "Protocol", protoSelect),
      element("label", { for: "event-limit" }, "Load", limitSelect),
      pause,
    ),
    error,
    summary,
    dataTable({ id: "events-table" }, ["Time", "Type", "Machine", "IP", "Stage", "Detail"], tbody),
  );
  search.addEventListener("input", update);
  protoSelect.addEventListener("change", update);
  limitSelect.addEventListener("change", load);
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume live updates" : "Pause live updates";
    if (!paused) load();
  });

  function matches(e) {
    if (protoSelect.value && e.protocol !== protoSelect.value) return false;
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return true;
    const hay =
      `${e.type} ${e.mac ?? ""} ${e.ip ?? ""} ${e.stage ?? ""} ${JSON.stringify(e.detail ?? {})}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  }

  function row(e) {
    return element(
      "tr",
      { "data-id": e.id, "data-type": e.type },
      element("td", { title: new Date(e.at).toISOString(), class: "nowrap" }, formatTime(e.at)),
      element("td", {}, e.type),
      element(
        "td",
        { class: "mono" },
        e.mac ? element("a", { href: `#/machines/${encodeURIComponent(e.mac)}` }, e.mac) : "—",
      ),
      element("td", { class: "mono" }, e.ip ?? ""),
      element("td", {}, e.stage ?? ""),
      element("td", { class: "mono" }, detailSummary(e.detail)),
    );
  }

  function update() {
    const p = new URLSearchParams();
    if (search.value) p.set("q", search.value);
    if (protoSelect.value) p.set("protocol", protoSelect.value);
    if (limitSelect.value !== "500") p.set("limit", limitSelect.value);
    setParams(p);
    const shown = events.filter(matches);
    summary.textContent = `${shown.length} of ${events.length} loaded events shown${paused ? " (paused)" : ""}`;
    tbody.replaceChildren(
      ...(shown.length
        ? shown.map(row)
        : [element("tr", {}, element("td", { colspan: 6, class: "empty" }, "No event matches."))]),
    );
  }

  async function load() {
    try {
      events = listOf(await apiGet(`/events?order=desc&limit=${Number(limitSelect.value)}`), "events");
      error.replaceChildren();
    } catch (err) {
      error.replaceChildren(element("p", { class: "error-box" }, `Could not list events: ${err.message}`));
      return;
    }
    update();
  }

  const unsubscribe = live.subscribe((e) => {
    if (paused || events.some((x) => x.id === e.id)) return;
    events.unshift(e);
    if (events.length > MAX_ROWS) events.length = MAX_ROWS;
    if (!matches(e)) {
      summary.textContent = `${events.filter(matches).length} of ${events.length} loaded events shown`;
      return;
    }
    const empty = tbody.querySelector(".empty");
    if (empty) empty.closest("tr").remove();
    tbody.prepend(row(e));
    summary.textContent = `${events.filter(matches).length} of ${events.length} loaded events shown`;
  });
  load();
  return unsubscribe;
}

function detailSummary(d) {
  if (!d || typeof d !== "object") return "";
  return Object.entries(d)
    .map(([k, v]) => {
      if (k === "bytes" && typeof v === "number") return `bytes=${formatBytes(v)}`;
      if (k === "duration_ms" && typeof v === "number") return `took ${formatDuration(v)}`;
      return `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`;
    })
    .join(" ");
}
