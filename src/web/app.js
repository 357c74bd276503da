/**
 * The admin page: hash routes (#/machines, #/machines/<mac>, #/images,
 * #/leases, #/events), one live event stream, one view at a time. Each view
 * is `render(root, context)` and returns a function that tears it down.
 */
import { askToken, getToken } from "./token-store.js";
import { renderEventsView } from "./events-view.js";
import { renderFleetView } from "./fleet-view.js";
import { renderImagesView } from "./images-view.js";
import { renderLeasesView } from "./leases-view.js";
import { LiveEvents } from "./live-events.js";
import { renderMachineView } from "./machine-view.js";

const ROUTES = [
  { pattern: /^\/?$/, section: "machines", render: renderFleetView },
  { pattern: /^\/machines\/?$/, section: "machines", render: renderFleetView },
  { pattern: /^\/machines\/(.+)$/, section: "machines", render: renderMachineView },
  { pattern: /^\/images\/?$/, section: "images", render: renderImagesView },
  { pattern: /^\/leases\/?$/, section: "leases", render: renderLeasesView },
  { pattern: /^\/events\/?$/, section: "events", render: renderEventsView },
];

const live = new LiveEvents();
const root = document.getElementById("view");
let teardown = null;

/** "#/machines?state=up&q=lab" -> { path: "/machines", params: URLSearchParams } */
export function parseHash(hash) {
  const h = hash.replace(/^#/, "") || "/machines";
  const q = h.indexOf("?");
  return { path: q >= 0 ? h.slice(0, q) : h, params: new URLSearchParams(q >= 0 ? h.slice(q + 1) : "") };
}

/** Keeps a view's filters in the address without adding a history entry per keystroke. */
function setParams(params) {
  const { path } = parseHash(location.hash);
  const s = params.toString();
  history.replaceState(null, "", `#${path}${s ? `?${s}` : ""}`);
}

function route() {
  const { path, params } = parseHash(location.hash);
  teardown?.();
  teardown = null;
  root.replaceChildren();
  const found = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  for (const a of document.querySelectorAll("header nav a")) {
    if (found && a.dataset.section === found.r.section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (!found) {
    const h = document.createElement("h1");
    h.textContent = "Not found";
    const p = document.createElement("p");
    p.textContent = `Nothing at #${path}. `;
    const a = document.createElement("a");
    a.href = "#/machines";
    a.textContent = "Go to the fleet";
    p.append(a);
    root.append(h, p);
    return;
  }
  const args = found.m.slice(1).map((x) => decodeURIComponent(x));
  teardown = found.r.render(root, { live, params, setParams, args }) ?? null;
  // Move focus to the new content so keyboard and screen reader users start there.
  root.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function showLiveStatus() {
  const el = document.getElementById("live-status");
  live.onStatus((s) => {
    el.dataset.state = s;
    el.textContent = s === "open" ? "live" : s === "connecting" ? "connecting…" : "disconnected";
  });
}

function tokenButton() {
  const b = document.getElementById("token-button");
  const label = () => {
    b.textContent = getToken() ? "API token ✓" : "API token";
    b.title = getToken() ? "A token is kept for this tab" : "No token kept yet";
  };
  label();
  document.addEventListener("bootfleet:token", label);
  b.addEventListener("click", async () => {
    const before = getToken();
    await askToken(
      "Enter the API token: it allows changes and shows secret values. It is kept in this tab only.",
    );
    // Read the view again with (or without) the token: secret values appear or hide.
    if (getToken() !== before) route();
  });
}

showLiveStatus();
tokenButton();
live.start();
window.addEventListener("hashchange", route);
route();
