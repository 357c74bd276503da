/**
 * One machine: what it is, its effective config with the origin of every
 * value, its boots as a timeline chart and side by side, its syslog lines,
 * and the actions (wake, set its image). Kept live from the event stream.
 */
import { ApiRequestError, apiGet, apiWrite, listOf, seg } from "./api-client.js";
import { bootCompareChart, phaseClass } from "./boot-compare-chart.js";
import { bootPhases, LANES, PHASES, splitBoots } from "./boot-sessions.js";
import { bootTimelineChart } from "./boot-timeline-chart.js";
import { configRows, originAt, shortFile } from "./config-rows.js";
import { dataTable, element } from "./element.js";
import { formatAgo, formatBytes, formatDuration, formatTime } from "./format-units.js";
import { notify } from "./notify.js";
import { stateBadge } from "./state-badge.js";

const EVENT_LIMIT = 1000;
const LOG_LIMIT = 500;
const COMPARE_BOOTS = 8;
const RECENT_EVENTS = 25;
const SEVERITY = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

export function renderMachineView(root, { live, args }) {
  const id = args[0];
  document.title = `${id} · bootfleet`;
  let machine = null;
  let events = [];
  let boots = [];
  /** Index into boots chosen by the user; null follows the newest boot. */
  let chosenBoot = null;
  let closed = false;

  const heading = element("h1", {}, id);
  const facts = element("dl", { class: "facts" });
  const actions = element("div", { class: "actions" });
  const error = element("div");
  const bootSelect = element("select", { id: "boot-select" });
  const timeline = element("div", { id: "timeline" });
  const segInfo = element("p", { class: "muted", id: "segment-info", "aria-live": "polite" }, " ");
  const timelineTable = element("div");
  const compare = element("div", { id: "boot-compare" });
  const configBody = element("tbody");
  const configFilter = element("input", {
    type: "search",
    id: "config-filter",
    placeholder: "key, value, file…",
  });
  const logsBox = element("div", { id: "machine-logs" });
  const logFilter = element("input", { type: "search", id: "log-filter", placeholder: "text in the line" });
  const eventsBody = element("tbody");
  const eventsLink = element(
    "a",
    { href: `#/events?q=${encodeURIComponent(id)}` },
    "All events of this machine",
  );
  let configData = [];
  let logLines = [];

  root.append(
    element("p", {}, element("a", { href: "#/machines" }, "← Fleet")),
    heading,
    error,
    element(
      "section",
      { class: "panel", "aria-labelledby": "m-about" },
      element("h2", { id: "m-about" }, "Machine"),
      facts,
      actions,
    ),
    element(
      "section",
      { class: "panel", "aria-labelledby": "m-timeline" },
      element("h2", { id: "m-timeline" }, "Boot timeline"),
      element("div", { class: "toolbar" }, element("label", { for: "boot-select" }, "Boot", bootSelect)),
      timeline,
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
      segInfo,
      element("details", {}, element("summary", {}, "Timeline as a table"), timelineTable),
    ),
    element(
      "section",
      { class: "panel", "aria-labelledby": "m-compare" },
      element("h2", { id: "m-compare" }, "Last boots compared"),
      compare,
    ),
    element(
      "div",
      { class: "grid-2" },
      element(
        "section",
        { class: "panel", "aria-labelledby": "m-config" },
        element("h2", { id: "m-config" }, "Effective config"),
        element(
          "p",
          { class: "muted" },
          "Every value and the layer that set it (",
          element("code", {}, "bootfleet explain"),
          ").",
        ),
        element(
          "div",
          { class: "toolbar" },
          element("label", { for: "config-filter" }, "Filter", configFilter),
        ),
        dataTable({ id: "config-table" }, ["Key", "Value", "Layer", "Origin"], configBody),
      ),
      element(
        "section",
        { class: "panel", "aria-labelledby": "m-logs" },
        element("h2", { id: "m-logs" }, "Logs"),
        element("p", { class: "muted" }, "What the machine sent to the syslog receiver, newest last."),
        element("div", { class: "toolbar" }, element("label", { for: "log-filter" }, "Filter", logFilter)),
        logsBox,
      ),
    ),
    element(
      "section",
      { class: "panel", "aria-labelledby": "m-events" },
      element("h2", { id: "m-events" }, "Recent events"),
      element("p", {}, eventsLink),
      dataTable({ id: "machine-events" }, ["Time", "Type", "Stage", "IP", "Detail"], eventsBody),
    ),
  );

  bootSelect.addEventListener("change", () => {
    const i = Number(bootSelect.value);
    chosenBoot = i === boots.length - 1 ? null : i;
    renderTimeline();
  });
  configFilter.addEventListener("input", renderConfig);
  logFilter.addEventListener("input", renderLogs);

  // --- machine facts and actions -------------------------------------------------

  function renderFacts() {
    const m = machine;
    heading.replaceChildren(m.hostname ?? m.mac ?? id, " ", stateBadge(m.state));
    document.title = `${m.hostname ?? m.mac ?? id} · bootfleet`;
    if (m.mac) eventsLink.href = `#/events?q=${encodeURIComponent(m.mac)}`;
    const boot = m.boot ?? {};
    const pairs = [
      ["MAC", element("span", { class: "mono" }, m.mac ?? "—")],
      ["IP", element("span", { class: "mono" }, m.ip ?? "—")],
      ["State", stateBadge(m.state)],
      ["Groups", (m.groups ?? []).join(", ") || "—"],
      ["Image", m.image ?? "—"],
      ["Declared", m.declared ? `yes (host ${m.host ?? m.hostname})` : "no, only seen"],
      ["Last seen", m.last_seen ? `${formatTime(m.last_seen)} (${formatAgo(m.last_seen)})` : "never"],
      ["First seen", m.first_seen ? formatTime(m.first_seen) : "never"],
      [
        "Boot",
        boot.bootable
          ? `${boot.loader ?? ""} · ${boot.boot_file ?? ""} (${boot.arch ?? "?"})`
          : `not answered${boot.reason ? `: ${boot.reason}` : ""}`,
      ],
    ];
    facts.replaceChildren(...pairs.flatMap(([k, v]) => [element("dt", {}, k), element("dd", {}, v)]));
  }

  async function renderActions() {
    const m = machine;
    const imageSelect = element("select", { id: "set-image-select" });
    const setButton = element(
      "button",
      {
        type: "button",
        id: "set-image",
        onclick: () => {
          const image = imageSelect.value;
          if (image) setImage(image, setButton);
        },
      },
      "Set image",
    );
    const clearButton = element(
      "button",
      {
        type: "button",
        id: "clear-image",
        title: "Remove the image set here, so the config decides again",
        onclick: () => setImage(null, clearButton),
      },
      "Use the config's image",
    );
    /** PUT the image (null clears it), then show the machine and its config as the server now has them. */
    async function setImage(image, button) {
      const who = m.hostname ?? m.mac;
      button.disabled = true;
      try {
        await apiWrite("PUT", `/machines/${seg(m.mac ?? id)}/image`, { image });
        notify(
          image === null
            ? `${who} boots the image its config gives from its next boot`
            : `${who} boots ${image} from its next boot`,
        );
        await Promise.all([loadMachine(), loadConfig()]);
      } catch (err) {
        notify(`Set image of ${who}: ${err.message}`, "error");
      } finally {
        button.disabled = false;
      }
    }
    const wakeButton = element(
      "button",
      {
        type: "button",
        id: "wake",
        class: "primary",
        disabled: !m.mac,
        onclick: async () => {
          try {
            await apiWrite("POST", `/machines/${seg(m.mac)}/wake`, {});
            notify(`Wake-on-LAN packet sent to ${m.hostname ?? m.mac}`);
          } catch (err) {
            notify(`Wake ${m.hostname ?? m.mac}: ${err.message}`, "error");
          }
        },
      },
      "Wake (Wake-on-LAN)",
    );
    const setNote = element("span", { class: "muted", id: "set-image-note" });
    actions.replaceChildren(
      wakeButton,
      element("label", { for: "set-image-select", class: "muted" }, "Image"),
      imageSelect,
      setButton,
      clearButton,
      setNote,
    );
    // The controls wait for the image list, and are offered only when the
    // server can do it: the route is looked up in its OpenAPI document.
    const controls = [setButton, clearButton, imageSelect];
    for (const c of controls) c.disabled = true;
    const [offered, images] = await Promise.all([
      offersSetImage(),
      apiGet("/images")
        .then((body) => listOf(body, "images"))
        .catch((err) => err),
    ]);
    if (images instanceof Error) {
      imageSelect.replaceChildren(element("option", { value: "" }, `(images: ${images.message})`));
    } else {
      imageSelect.replaceChildren(...images.map((i) => element("option", { value: i.name }, i.name)));
      imageSelect.value = m.image ?? "";
    }
    if (offered) {
      for (const c of controls) c.disabled = false;
      setButton.disabled = images instanceof Error;
    } else {
      setButton.setAttribute("aria-describedby", "set-image-note");
      setNote.textContent =
        "This server has no route to set a host's image (PUT /api/v1/machines/{id}/image); set image: under the host in the config.";
    }
  }

  // --- boots ----------------------------------------------------------------------

  function renderTimeline() {
    boots = splitBoots(events);
    if (boots.length === 0) {
      bootSelect.replaceChildren(element("option", { value: "" }, "no boot recorded"));
      timeline.replaceChildren(
        element("p", { class: "empty" }, "No boot events recorded for this machine yet."),
      );
      timelineTable.replaceChildren();
      compare.replaceChildren(element("p", { class: "empty" }, "No boots to compare yet."));
      return;
    }
    const index = chosenBoot ?? boots.length - 1;
    bootSelect.replaceChildren(
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
    bootSelect.value = String(index);
    const boot = boots[index];
    timeline.replaceChildren(
      bootTimelineChart(boot, {
        onFocus: (s) => {
          segInfo.textContent = `${s.title} · from +${formatDuration(s.start - boot.start)}`;
        },
      }),
    );
    renderTimelineTable(boot);
    renderCompare();
  }

  function renderTimelineTable(boot) {
    const rows = events
      .filter((e) => boot.events.includes(e))
      .sort((a, b) => a.at - b.at || a.id - b.id)
      .map((e) =>
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
    timelineTable.replaceChildren(
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

  function renderCompare() {
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
    compare.replaceChildren(
      bootCompareChart(recent),
      element(
        "div",
        { class: "table-wrap" },
        element("table", { id: "compare-table" }, element("thead", {}, head), element("tbody", {}, body)),
      ),
    );
  }

  function renderEvents() {
    const recent = events.slice(-RECENT_EVENTS).reverse();
    eventsBody.replaceChildren(
      ...(recent.length
        ? recent.map((e) =>
            element(
              "tr",
              {},
              element("td", { title: new Date(e.at).toISOString(), class: "nowrap" }, formatTime(e.at)),
              element("td", {}, e.type),
              element("td", {}, e.stage ?? ""),
              element("td", { class: "mono" }, e.ip ?? ""),
              element("td", { class: "mono" }, detailText(e.detail)),
            ),
          )
        : [element("tr", {}, element("td", { colspan: 5, class: "empty" }, "No events."))]),
    );
  }

  // --- config and logs ------------------------------------------------------------

  function renderConfig() {
    const q = configFilter.value.trim().toLowerCase();
    const rows = configData.filter((r) =>
      !q
        ? true
        : `${r.key} ${r.value} ${r.origin.layer} ${r.origin.name} ${originAt(r.origin)}`
            .toLowerCase()
            .includes(q),
    );
    configBody.replaceChildren(
      ...(rows.length
        ? rows.map((r) => {
            const at = originAt(r.origin);
            return element(
              "tr",
              { "data-key": r.key },
              element("td", { class: "mono" }, r.key),
              element("td", { class: "mono" }, r.value),
              element(
                "td",
                {},
                r.origin.layer === r.origin.name ? r.origin.layer : `${r.origin.layer} ${r.origin.name}`,
              ),
              element(
                "td",
                { class: "mono", title: at || r.origin.name },
                at
                  ? shortFile(at)
                  : element(
                      "span",
                      { class: "muted" },
                      r.origin.layer === "api" ? "admin page / API" : "built in",
                    ),
              ),
            );
          })
        : [element("tr", {}, element("td", { colspan: 4, class: "empty" }, "No value matches."))]),
    );
  }

  function renderLogs() {
    const q = logFilter.value.trim().toLowerCase();
    const lines = logLines.filter((l) => !q || `${l.app ?? ""} ${l.message}`.toLowerCase().includes(q));
    if (!lines.length) {
      logsBox.replaceChildren(
        element(
          "p",
          { class: "empty" },
          logLines.length ? "No line matches." : "No log lines received from this machine.",
        ),
      );
      return;
    }
    logsBox.replaceChildren(
      element(
        "pre",
        { class: "logs", tabindex: 0, "aria-label": "Log lines" },
        lines.map((l) =>
          element(
            "div",
            { class: l.severity !== null && l.severity !== undefined ? `sev-${l.severity}` : undefined },
            `${formatTime(l.at)} ${l.hostname ?? l.ip ?? ""} ${l.app ? `${l.app}: ` : ""}`,
            l.severity !== null && l.severity !== undefined ? `<${SEVERITY[l.severity] ?? l.severity}> ` : "",
            l.message,
          ),
        ),
      ),
    );
  }

  // --- loading --------------------------------------------------------------------

  async function loadMachine() {
    const data = await apiGet(`/machines/${seg(id)}`);
    if (closed) return;
    machine = data.machine ?? data;
    renderFacts();
  }

  async function loadEvents() {
    const data = await apiGet(`/machines/${seg(id)}/events?order=desc&limit=${EVENT_LIMIT}`);
    if (closed) return;
    events = listOf(data, "events").slice().reverse();
    renderTimeline();
    renderEvents();
  }

  async function loadConfig() {
    try {
      const data = await apiGet(`/machines/${seg(id)}/config`);
      configData = configRows(data.config ?? data);
    } catch (err) {
      configBody.replaceChildren(
        element("tr", {}, element("td", { colspan: 4, class: "error-box" }, err.message)),
      );
      return;
    }
    renderConfig();
  }

  async function loadLogs() {
    try {
      const data = await apiGet(`/machines/${seg(id)}/logs?order=desc&limit=${LOG_LIMIT}`);
      logLines = listOf(data, "logs").slice().reverse();
    } catch (err) {
      logsBox.replaceChildren(
        element("p", { class: "error-box" }, `Could not read the logs: ${err.message}`),
      );
      return;
    }
    renderLogs();
  }

  async function loadAll() {
    try {
      await loadMachine();
    } catch (err) {
      const text = err instanceof ApiRequestError && err.status === 404 ? `No machine “${id}”.` : err.message;
      error.replaceChildren(element("p", { class: "error-box" }, text));
      return;
    }
    await Promise.all([
      renderActions(),
      loadEvents().catch((e) => notify(e.message, "error")),
      loadConfig(),
      loadLogs(),
    ]);
  }

  let refresh = 0;
  let configStale = false;
  const unsubscribe = live.subscribe((event) => {
    if (!machine?.mac || event.mac !== machine.mac) return;
    if (events.some((e) => e.id === event.id)) return;
    events.push(event);
    if (events.length > EVENT_LIMIT) events.splice(0, events.length - EVENT_LIMIT);
    renderTimeline();
    renderEvents();
    configStale ||= event.type === "api.image-set";
    clearTimeout(refresh);
    // The state is written just after the event; read it once the burst is over.
    refresh = setTimeout(() => {
      loadMachine().catch(() => {});
      loadLogs();
      // Its image was set elsewhere (another tab, the API): the config shows where it comes from.
      if (configStale) {
        configStale = false;
        loadConfig();
      }
    }, 400);
  });

  loadAll();
  return () => {
    closed = true;
    unsubscribe();
    clearTimeout(refresh);
  };
}

let setImageOffered = null;

/** Whether the API lists PUT /machines/{id}/image (asked once per page load). */
function offersSetImage() {
  setImageOffered ??= apiGet("/openapi.json")
    .then((doc) =>
      Object.entries(doc?.paths ?? {}).some(
        ([path, ops]) =>
          /^\/machines\/\{[^}]+\}\/image$/.test(path) && ops && typeof ops === "object" && "put" in ops,
      ),
    )
    .catch(() => false);
  return setImageOffered;
}

function detailText(d) {
  if (!d || typeof d !== "object") return "";
  const parts = [];
  for (const [k, v] of Object.entries(d)) {
    if (k === "bytes" && typeof v === "number") parts.push(`bytes=${formatBytes(v)}`);
    else if (k === "duration_ms" && typeof v === "number") parts.push(`took ${formatDuration(v)}`);
    else parts.push(`${k}=${typeof v === "object" ? JSON.stringify(v) : v}`);
  }
  return parts.join(" ");
}
