import { element } from "./element.js";
import { STATE_HELP } from "./machine-states.js";

/** A machine's state as a coloured dot and its name (the colour is never the only cue). */
export function stateBadge(state) {
  const s = state || "off";
  return element("span", { class: `state state-${s}`, title: STATE_HELP[s] ?? s, "data-state": s }, s);
}
