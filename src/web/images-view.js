/**
 * Images: every image with its versions (size, build time), which machines
 * run which version (the export of each machine's last NBD connect), which
 * machines are assigned it, and the buttons to switch or roll back the
 * current version (a write: needs the API token).
 */
import { apiGet, apiWrite, listOf, seg } from "./api-client.js";
import { dataTable, element } from "./element.js";
import { formatBytes, formatTime } from "./format-units.js";
import { notify } from "./notify.js";

/** NBD export names are `<image>@<version>` (src/images/image-name.ts). */
export function parseExport(name) {
  if (typeof name !== "string") return null;
  const at = name.lastIndexOf("@");
  return at > 0 ? { image: name.slice(0, at), version: name.slice(at + 1) } : { image: name, version: null };
}

export function renderImagesView(root, { live }) {
  document.title = "Images · bootfleet";
  const list = element("div", { id: "images" });
  const error = element("div");
  root.append(
    element("h1", {}, "Images"),
    element(
      "p",
      { class: "muted" },
      "Switching the current version is atomic; machines get it from their next boot. Machines booted now keep the version they mounted.",
    ),
    error,
    list,
  );
  let closed = false;

  async function load() {
    let images;
    let machines = [];
    let connects = [];
    try {
      images = listOf(await apiGet("/images"), "images");
    } catch (err) {
      error.replaceChildren(element("p", { class: "error-box" }, `Could not list images: ${err.message}`));
      return;
    }
    try {
      [machines, connects] = await Promise.all([
        apiGet("/machines").then((d) => listOf(d, "machines")),
        apiGet("/events?type=nbd.connect&order=desc&limit=1000").then((d) => listOf(d, "events")),
      ]);
    } catch (err) {
      error.replaceChildren(
        element("p", { class: "error-box" }, `Could not read who runs what: ${err.message}`),
      );
    }
    if (closed) return;
    error.replaceChildren();
    // Newest NBD connect per machine: the version it mounted last.
    const running = new Map();
    for (const e of connects) {
      if (!e.mac || running.has(e.mac)) continue;
      const x = parseExport(e.detail?.export);
      if (x) running.set(e.mac, { ...x, at: e.at });
    }
    const nameOf = new Map(machines.map((m) => [m.mac, m.hostname ?? m.mac]));
    if (!images.length) {
      list.replaceChildren(
        element(
          "p",
          { class: "empty" },
          "No images. Build one with ",
          element("code", {}, "bootfleet image build NAME --from DIR"),
          ".",
        ),
      );
      return;
    }
    list.replaceChildren(...images.map((img) => imagePanel(img, machines, running, nameOf)));
  }

  function imagePanel(img, machines, running, nameOf) {
    const versions = (img.versions ?? []).map((v) => (typeof v === "string" ? { version: v } : v));
    const order = versions.map((v) => v.version);
    const currentIndex = order.indexOf(img.current);
    const previous = currentIndex > 0 ? order[currentIndex - 1] : null;
    const assigned = machines.filter((m) => m.image === img.name);
    const headingId = `image-${img.name}`;
    const rows = versions
      .slice()
      .reverse()
      .map((v) => {
        const isCurrent = v.version === img.current;
        const runners = [...running].filter(([, r]) => r.image === img.name && r.version === v.version);
        const older = currentIndex >= 0 && order.indexOf(v.version) < currentIndex;
        return element(
          "tr",
          { "data-version": v.version, "aria-current": isCurrent ? "true" : undefined },
          element(
            "td",
            { class: "mono" },
            v.version,
            isCurrent ? [" ", element("span", { class: "tag" }, "current")] : null,
          ),
          element("td", {}, v.created ? formatTime(v.created) : "—"),
          element("td", { class: "num" }, v.size !== undefined ? formatBytes(v.size) : "—"),
          element(
            "td",
            {},
            runners.length
              ? runners.map(([mac], i) => [
                  i ? ", " : "",
                  element("a", { href: `#/machines/${encodeURIComponent(mac)}` }, nameOf.get(mac) ?? mac),
                ])
              : element("span", { class: "muted" }, "none"),
          ),
          element(
            "td",
            {},
            isCurrent
              ? null
              : element(
                  "button",
                  {
                    type: "button",
                    "data-action": older ? "rollback" : "switch",
                    onclick: (ev) => use(img.name, v.version, ev.currentTarget),
                  },
                  older ? `Roll back to ${v.version}` : `Switch to ${v.version}`,
                ),
          ),
        );
      });
    return element(
      "section",
      { class: "panel", "aria-labelledby": headingId, "data-image": img.name },
      element("h2", { id: headingId }, img.name),
      img.description ? element("p", {}, img.description) : null,
      element(
        "p",
        {},
        "Current version: ",
        element("strong", { class: "mono", "data-current": img.current ?? "" }, img.current ?? "none"),
        ` · ${versions.length} version${versions.length === 1 ? "" : "s"} · assigned to ${assigned.length} machine${assigned.length === 1 ? "" : "s"}`,
        assigned.length ? ": " : "",
        assigned
          .slice(0, 20)
          .map((m, i) => [
            i ? ", " : "",
            element(
              "a",
              { href: `#/machines/${encodeURIComponent(m.mac ?? m.hostname)}` },
              m.hostname ?? m.mac,
            ),
          ]),
        assigned.length > 20 ? `, and ${assigned.length - 20} more` : "",
      ),
      previous
        ? element(
            "div",
            { class: "actions" },
            element(
              "button",
              {
                type: "button",
                class: "primary",
                "data-action": "rollback-previous",
                onclick: (ev) => use(img.name, previous, ev.currentTarget),
              },
              `Roll back to the previous version (${previous})`,
            ),
          )
        : null,
      dataTable(
        { class: "versions" },
        ["Version", "Built", ["Size", { class: "num" }], "Running it now", ""],
        element("tbody", {}, rows),
        `Versions of ${img.name}, newest first`,
      ),
    );
  }

  async function use(name, version, button) {
    if (button) button.disabled = true;
    try {
      const r = await apiWrite("POST", `/images/${seg(name)}/current`, { version });
      const prev = r?.image?.previous;
      notify(`${name}: current version is now ${version}${prev ? ` (was ${prev})` : ""}`);
    } catch (err) {
      notify(`Switching ${name} to ${version}: ${err.message}`, "error");
    } finally {
      if (button) button.disabled = false;
    }
    await load();
  }

  const unsubscribe = live.subscribe((e) => {
    if (e.type === "api.image-use" || e.type === "nbd.connect" || e.protocol === "image") load();
  });
  load();
  return () => {
    closed = true;
    unsubscribe();
  };
}
