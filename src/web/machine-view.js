/**
 * One machine: what it is, its effective config with the origin of every
 * value, its boots as a timeline chart and side by side, its syslog lines,
 * and the actions (wake, set its image). Kept live from the event stream.
 * Each panel is its own module; this one loads the machine and its events
 * and hands them to the panels.
 */
import { ApiRequestError, apiGet, listOf, seg } from "./api-client.js";
import { BootComparePanel } from "./boot-compare-panel.js";
import { splitBoots } from "./boot-sessions.js";
import { BootTimelinePanel } from "./boot-timeline-panel.js";
import { element } from "./element.js";
import { MachineActions } from "./machine-actions.js";
import { MachineConfigPanel } from "./machine-config-panel.js";
import { MachineEventsPanel } from "./machine-events-panel.js";
import { MachineFactsPanel } from "./machine-facts-panel.js";
import { MachineLogsPanel } from "./machine-logs-panel.js";
import { notify } from "./notify.js";
import { stateBadge } from "./state-badge.js";

const EVENT_LIMIT = 1000;
/** After a burst of live events, read the machine (and its logs) once it is over. */
const REFRESH_DELAY_MS = 400;

export function renderMachineView(root, { live, args }) {
  const id = args[0];
  document.title = `${id} · bootfleet`;
  let machine = null;
  /** The machine's events, oldest first. */
  let events = [];
  let closed = false;

  const heading = element("h1", {}, id);
  const error = element("div");
  const config = new MachineConfigPanel(id);
  const logs = new MachineLogsPanel(id);
  const recent = new MachineEventsPanel(id);
  const timeline = new BootTimelinePanel();
  const compare = new BootComparePanel();
  const actions = new MachineActions({
    id,
    onImageSet: () => Promise.all([loadMachine(), config.load()]),
  });
  const facts = new MachineFactsPanel(actions.node);

  root.append(
    element("p", {}, element("a", { href: "#/machines" }, "← Fleet")),
    heading,
    error,
    facts.node,
    timeline.node,
    compare.node,
    element("div", { class: "grid-2" }, config.node, logs.node),
    recent.node,
  );

  function showMachine() {
    const m = machine;
    heading.replaceChildren(m.hostname ?? m.mac ?? id, " ", stateBadge(m.state));
    document.title = `${m.hostname ?? m.mac ?? id} · bootfleet`;
    if (m.mac) recent.linkTo(m.mac);
    facts.show(m);
  }

  function showEvents() {
    const boots = splitBoots(events);
    timeline.show(boots);
    compare.show(boots);
    recent.show(events);
  }

  async function loadMachine() {
    const data = await apiGet(`/machines/${seg(id)}`);
    if (closed) return;
    machine = data.machine ?? data;
    showMachine();
  }

  async function loadEvents() {
    const data = await apiGet(`/machines/${seg(id)}/events?order=desc&limit=${EVENT_LIMIT}`);
    if (closed) return;
    events = listOf(data, "events").slice().reverse();
    showEvents();
  }

  async function loadAll() {
    try {
      await loadMachine();
    } catch (err) {
      const text = err instanceof ApiRequestError && err.status === 404 ? `No machine “${id}”.` : err.message;
      error.replaceChildren(element("p", { class: "error-box" }, text));
      return;
    }
    await Promise.all([
      actions.show(machine),
      loadEvents().catch((e) => notify(e.message, "error")),
      config.load(),
      logs.load(),
    ]);
  }

  let refresh = 0;
  let configStale = false;
  const unsubscribe = live.subscribe((event) => {
    if (!machine?.mac || event.mac !== machine.mac) return;
    if (events.some((e) => e.id === event.id)) return;
    events.push(event);
    if (events.length > EVENT_LIMIT) events.splice(0, events.length - EVENT_LIMIT);
    showEvents();
    configStale ||= event.type === "api.image-set";
    clearTimeout(refresh);
    // The state is written just after the event; read it once the burst is over.
    refresh = setTimeout(() => {
      loadMachine().catch(() => {});
      logs.load();
      // Its image was set elsewhere (another tab, the API): the config shows where it comes from.
      if (configStale) {
        configStale = false;
        config.load();
      }
    }, REFRESH_DELAY_MS);
  });

  loadAll();
  return () => {
    closed = true;
    unsubscribe();
    clearTimeout(refresh);
  };
}
