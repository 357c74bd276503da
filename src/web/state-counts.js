/**
 * How many machines are in each boot state, as buttons that filter the fleet
 * by that state. The buttons are made once and updated in place, so a
 * keyboard user who presses one keeps focus on it.
 */
import { element } from "./element.js";
import { MACHINE_STATES } from "./machine-states.js";
import { stateBadge } from "./state-badge.js";

export class StateCounts {
  #node = element("ul", { class: "counts", "aria-label": "Machines per state" });
  /** state ("" = all) -> its button and the number in it */
  #buttons = new Map();

  /** `onPick(state)` when a button is pressed; "" is the "all" button. */
  constructor(onPick) {
    for (const s of ["", ...MACHINE_STATES]) {
      const n = element("span", { class: "n", "data-count": s || "all" }, "0");
      const b = element(
        "button",
        {
          type: "button",
          title: s ? `show only machines in state ${s}` : "show every machine",
          onclick: () => onPick(s),
        },
        s ? stateBadge(s) : "all",
        n,
      );
      this.#buttons.set(s, { b, n });
      this.#node.append(element("li", {}, b));
    }
  }

  get node() {
    return this.#node;
  }

  /** Counts `machines` per state; the button of `shown` (the state filtered on) is pressed. */
  show(machines, shown) {
    const n = new Map([["", machines.length]]);
    for (const m of machines) n.set(m.state, (n.get(m.state) ?? 0) + 1);
    for (const [s, { b, n: label }] of this.#buttons) {
      label.textContent = String(n.get(s) ?? 0);
      b.setAttribute("aria-pressed", String(shown === s));
    }
  }
}
