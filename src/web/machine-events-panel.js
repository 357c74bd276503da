/**
 * The machine page's "Recent events" panel: the newest events of the
 * machine, newest first, and a link to all of them in the events view.
 */
import { dataTable, element } from "./element.js";
import { detailText } from "./event-detail-text.js";
import { formatTime } from "./format-units.js";

const RECENT_EVENTS = 25;

export class MachineEventsPanel {
  #body = element("tbody");
  #link;
  #node;

  /** `id` is how the page named the machine, until its MAC is known. */
  constructor(id) {
    this.#link = element("a", { href: eventsHref(id) }, "All events of this machine");
    this.#node = element(
      "section",
      { class: "panel", "aria-labelledby": "m-events" },
      element("h2", { id: "m-events" }, "Recent events"),
      element("p", {}, this.#link),
      dataTable({ id: "machine-events" }, ["Time", "Type", "Stage", "IP", "Detail"], this.#body),
    );
  }

  get node() {
    return this.#node;
  }

  /** The events view searches by text: the MAC finds every event of the machine. */
  linkTo(mac) {
    this.#link.href = eventsHref(mac);
  }

  /** `events` oldest first. */
  show(events) {
    const recent = events.slice(-RECENT_EVENTS).reverse();
    this.#body.replaceChildren(
      ...(recent.length
        ? recent.map(eventRow)
        : [element("tr", {}, element("td", { colspan: 5, class: "empty" }, "No events."))]),
    );
  }
}

function eventsHref(q) {
  return `#/events?q=${encodeURIComponent(q)}`;
}

function eventRow(e) {
  return element(
    "tr",
    {},
    element("td", { title: new Date(e.at).toISOString(), class: "nowrap" }, formatTime(e.at)),
    element("td", {}, e.type),
    element("td", {}, e.stage ?? ""),
    element("td", { class: "mono" }, e.ip ?? ""),
    element("td", { class: "mono" }, detailText(e.detail)),
  );
}
