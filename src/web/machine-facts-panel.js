/**
 * The machine page's "Machine" panel: what the server knows of the machine
 * (addresses, state, groups, image, when it was seen, how it boots), with the
 * actions beside it.
 */
import { element } from "./element.js";
import { formatAgo, formatTime } from "./format-units.js";
import { stateBadge } from "./state-badge.js";

/** Where the machine's root lives (the boot plan's `root`). */
const ROOTS = {
  nbd: "NBD from this server",
  "nbd-cow": "NBD from this server, with its own copy-on-write layer",
  ram: "in its RAM, fetched at boot: runs without the server",
};

export class MachineFactsPanel {
  #facts = element("dl", { class: "facts" });
  #node;

  /** `actions` is the node shown under the facts (the wake button and the image form). */
  constructor(actions) {
    this.#node = element(
      "section",
      { class: "panel", "aria-labelledby": "m-about" },
      element("h2", { id: "m-about" }, "Machine"),
      this.#facts,
      actions,
    );
  }

  get node() {
    return this.#node;
  }

  /** `m` is the API's machine (GET /machines/<id>). */
  show(m) {
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
      ["Root", ROOTS[boot.entries?.[0]?.root] ?? "—"],
    ];
    this.#facts.replaceChildren(...pairs.flatMap(([k, v]) => [element("dt", {}, k), element("dd", {}, v)]));
  }
}
