/**
 * The machine page's "Effective config" panel, what `bootfleet explain`
 * prints: every value the machine gets and the layer that set it, with the
 * file:line:column it was written at, filtered as the user types. Secret
 * values are marked; without the API token the server hides them, and the
 * row offers to ask for the token and read the config again.
 */
import { apiGet, askTokenOnce, seg } from "./api-client.js";
import { configRows, originAt, shortFile } from "./config-rows.js";
import { dataTable, element } from "./element.js";

export class MachineConfigPanel {
  #id;
  #rows = [];
  #body = element("tbody");
  #filter = element("input", {
    type: "search",
    id: "config-filter",
    placeholder: "key, value, file…",
  });
  #node = element(
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
    element("div", { class: "toolbar" }, element("label", { for: "config-filter" }, "Filter", this.#filter)),
    dataTable({ id: "config-table" }, ["Key", "Value", "Layer", "Origin"], this.#body),
  );

  /** `id` names the machine in the API (MAC, hostname or address). */
  constructor(id) {
    this.#id = id;
    this.#filter.addEventListener("input", () => this.#render());
  }

  get node() {
    return this.#node;
  }

  /** Reads the config again (GET /machines/<id>/config); a failure shows in the table. */
  async load() {
    try {
      const data = await apiGet(`/machines/${seg(this.#id)}/config`);
      this.#rows = configRows(data.config ?? data);
    } catch (err) {
      this.#body.replaceChildren(
        element("tr", {}, element("td", { colspan: 4, class: "error-box" }, err.message)),
      );
      return;
    }
    this.#render();
  }

  #render() {
    const q = this.#filter.value.trim().toLowerCase();
    const rows = this.#rows.filter((r) =>
      !q
        ? true
        : `${r.key} ${r.value} ${r.origin.layer} ${r.origin.name} ${originAt(r.origin)}`
            .toLowerCase()
            .includes(q),
    );
    this.#body.replaceChildren(
      ...(rows.length
        ? rows.map((r) => configRow(r, () => this.#reveal()))
        : [element("tr", {}, element("td", { colspan: 4, class: "empty" }, "No value matches."))]),
    );
  }

  /** Asks for the token (the server shows secrets only with it) and reads the config again. */
  async #reveal() {
    const token = await askTokenOnce(
      "Secret values are shown only with the API token. It is kept in this tab only.",
    );
    if (token) await this.load();
  }
}

function configRow(r, reveal) {
  const at = originAt(r.origin);
  return element(
    "tr",
    { "data-key": r.key, "data-secret": r.secret ? (r.redacted ? "hidden" : "shown") : undefined },
    element(
      "td",
      { class: "mono" },
      r.key,
      r.secret ? [" ", element("span", { class: "tag" }, "secret")] : null,
    ),
    element(
      "td",
      { class: "mono" },
      r.value,
      r.redacted
        ? [
            " ",
            element(
              "button",
              {
                type: "button",
                class: "quiet",
                title: "The server shows secret values only with the API token",
                onclick: reveal,
              },
              "Show with the API token",
            ),
          ]
        : null,
    ),
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
        : element("span", { class: "muted" }, r.origin.layer === "api" ? "admin page / API" : "built in"),
    ),
  );
}
