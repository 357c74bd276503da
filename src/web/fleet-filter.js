/**
 * The fleet's filters: free text (every word must appear in the machine's
 * name, MAC, address, image, state or groups), one state, one group. They
 * start from the address (#/machines?q=lab&state=up&group=lab3) and are
 * written back to it by the view, so a filtered view can be bookmarked.
 */
import { element } from "./element.js";
import { MACHINE_STATES } from "./machine-states.js";

export class FleetFilter {
  /** In the order they appear in the address. */
  #values;
  #onChange;
  #search;
  #stateSelect;
  #groupSelect;
  #node;

  /** `params` the address's query; `onChange()` after every change the user makes. */
  constructor(params, onChange) {
    const values = {
      q: params.get("q") ?? "",
      state: params.get("state") ?? "",
      group: params.get("group") ?? "",
    };
    this.#values = values;
    this.#onChange = onChange;
    this.#search = element("input", {
      type: "search",
      id: "fleet-search",
      placeholder: "name, MAC, IP, image…",
      value: values.q,
      oninput: () => {
        values.q = this.#search.value;
        onChange();
      },
    });
    this.#stateSelect = element(
      "select",
      {
        id: "fleet-state",
        onchange: () => {
          values.state = this.#stateSelect.value;
          onChange();
        },
      },
      element("option", { value: "" }, "any state"),
      MACHINE_STATES.map((s) => element("option", { value: s }, s)),
    );
    this.#stateSelect.value = values.state;
    this.#groupSelect = element("select", {
      id: "fleet-group",
      onchange: () => {
        values.group = this.#groupSelect.value;
        onChange();
      },
    });
    this.#node = element(
      "div",
      { class: "toolbar", role: "search" },
      element("label", { for: "fleet-search" }, "Search", this.#search),
      element("label", { for: "fleet-state" }, "State", this.#stateSelect),
      element("label", { for: "fleet-group" }, "Group", this.#groupSelect),
      element("button", { type: "button", onclick: () => this.#clear() }, "Clear filters"),
    );
  }

  get node() {
    return this.#node;
  }

  /** The state shown, "" for any. */
  get state() {
    return this.#values.state;
  }

  /** Shows only machines in state `s`, or every state again when `s` is already the one shown. */
  toggleState(s) {
    this.#values.state = this.#stateSelect.value = this.#values.state === s ? "" : s;
    this.#onChange();
  }

  /** The filters that are set, for the address. */
  params() {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(this.#values)) if (v) p.set(k, v);
    return p;
  }

  matches(m) {
    const { q: text, state, group } = this.#values;
    if (state && m.state !== state) return false;
    if (group && !(m.groups ?? []).includes(group)) return false;
    const q = text.trim().toLowerCase();
    if (!q) return true;
    const hay = [m.hostname, m.mac, m.ip, m.image, m.state, ...(m.groups ?? [])]
      .filter(Boolean)
      .join(" ")
      .toLowerCase();
    return q.split(/\s+/).every((w) => hay.includes(w));
  }

  /** The groups to choose from: those of `machines`, and the chosen one even when no machine has it. */
  showGroups(machines) {
    const groups = [...new Set(machines.flatMap((m) => m.groups ?? []))].sort();
    const keep = this.#values.group;
    this.#groupSelect.replaceChildren(
      element("option", { value: "" }, "any group"),
      ...groups.map((g) => element("option", { value: g }, g)),
    );
    if (keep && !groups.includes(keep)) this.#groupSelect.append(element("option", { value: keep }, keep));
    this.#groupSelect.value = keep;
  }

  #clear() {
    const v = this.#values;
    v.q = v.state = v.group = "";
    this.#search.value = this.#stateSelect.value = this.#groupSelect.value = "";
    this.#onChange();
  }
}
