/**
 * The machine page's "Logs" panel: what the machine sent to the syslog
 * receiver, newest last, with its severity, filtered as the user types.
 */
import { apiGet, listOf, seg } from "./api-client.js";
import { element } from "./element.js";
import { formatTime } from "./format-units.js";

const LOG_LIMIT = 500;
/** Syslog severities by number (RFC 5424 §6.2.1). */
const SEVERITY = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

export class MachineLogsPanel {
  #id;
  #lines = [];
  #box = element("div", { id: "machine-logs" });
  #filter = element("input", { type: "search", id: "log-filter", placeholder: "text in the line" });
  #node = element(
    "section",
    { class: "panel", "aria-labelledby": "m-logs" },
    element("h2", { id: "m-logs" }, "Logs"),
    element("p", { class: "muted" }, "What the machine sent to the syslog receiver, newest last."),
    element("div", { class: "toolbar" }, element("label", { for: "log-filter" }, "Filter", this.#filter)),
    this.#box,
  );

  /** `id` names the machine in the API (MAC, hostname or address). */
  constructor(id) {
    this.#id = id;
    this.#filter.addEventListener("input", () => this.#render());
  }

  get node() {
    return this.#node;
  }

  /** Reads the newest lines again (GET /machines/<id>/logs); a failure shows in the panel. */
  async load() {
    try {
      const data = await apiGet(`/machines/${seg(this.#id)}/logs?order=desc&limit=${LOG_LIMIT}`);
      this.#lines = listOf(data, "logs").slice().reverse();
    } catch (err) {
      this.#box.replaceChildren(
        element("p", { class: "error-box" }, `Could not read the logs: ${err.message}`),
      );
      return;
    }
    this.#render();
  }

  #render() {
    const q = this.#filter.value.trim().toLowerCase();
    const lines = this.#lines.filter((l) => !q || `${l.app ?? ""} ${l.message}`.toLowerCase().includes(q));
    if (!lines.length) {
      this.#box.replaceChildren(
        element(
          "p",
          { class: "empty" },
          this.#lines.length ? "No line matches." : "No log lines received from this machine.",
        ),
      );
      return;
    }
    this.#box.replaceChildren(
      element("pre", { class: "logs", tabindex: 0, "aria-label": "Log lines" }, lines.map(logLine)),
    );
  }
}

function logLine(l) {
  const severity = l.severity !== null && l.severity !== undefined;
  return element(
    "div",
    { class: severity ? `sev-${l.severity}` : undefined },
    `${formatTime(l.at)} ${l.hostname ?? l.ip ?? ""} ${l.app ? `${l.app}: ` : ""}`,
    severity ? `<${SEVERITY[l.severity] ?? l.severity}> ` : "",
    l.message,
  );
}
