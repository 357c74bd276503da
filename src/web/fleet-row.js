/**
 * One machine as a row of the fleet table: name (tagged "seen" when it is
 * not declared), MAC, groups, image, address, state, when it was last seen,
 * and a wake button. `data-key` names the row across redraws.
 */
import { element } from "./element.js";
import { formatAgo, formatTime } from "./format-units.js";
import { stateBadge } from "./state-badge.js";
import { wakeMachine } from "./wake-machine.js";

/** `changed`: its state differs from the last drawing, so the row is highlighted. */
export function fleetRow(m, { changed }) {
  const id = m.mac ?? m.hostname;
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
              onclick: () => wakeMachine(m),
            },
            "Wake",
          )
        : null,
    ),
  );
}
