/**
 * From a machine's events to its boots, the timeline segments of one boot,
 * and the phases that the boot comparison shows side by side. Pure: no DOM,
 * no fetch, so the same code can be checked outside a browser.
 *
 * Events are the store's rows: { id, at, type, protocol, mac, ip, stage, detail }.
 */

export const LANES = ["dhcp", "tftp", "http", "nbd", "client"];

/** Client stages that end a boot (the client hook's last report). */
const TERMINAL_STAGES = new Set(["init", "failed"]);

/**
 * A machine that says nothing for this long and then speaks again is booting
 * anew (a hung PXE ROM that was power-cycled never reports a final stage).
 */
export const BOOT_GAP_MS = 5 * 60_000;

/**
 * Splits events (any order) into boots, oldest first. A boot ends at a final
 * client stage (init or failed) or a DHCP RELEASE. After that, what the
 * running machine does (DHCP renewals, NBD reads, the NBD disconnect at
 * shutdown) is kept in `later`, not on the timeline; the next boot starts
 * with what only a booting machine does: a DHCP DISCOVER, a TFTP or HTTP
 * boot file request, or a client stage. A DISCOVER inside an open boot does
 * not split it: the PXE ROM, iPXE and the initramfs each send one. A boot
 * that never reached a final stage ends before a silence longer than gapMs.
 */
export function splitBoots(events, gapMs = BOOT_GAP_MS) {
  const sorted = [...events].filter(isBootEvent).sort((a, b) => a.at - b.at || (a.id ?? 0) - (b.id ?? 0));
  const boots = [];
  let current = null;
  for (const e of sorted) {
    if (current?.closed) {
      if (!startsBoot(e)) {
        current.later.push(e);
        continue;
      }
      current = null;
    }
    if (current && e.at - current.end > gapMs) current = null;
    if (!current) {
      current = { start: e.at, end: e.at, events: [], later: [], outcome: "incomplete", closed: false };
      boots.push(current);
    }
    current.events.push(e);
    current.end = Math.max(current.end, e.at);
    if (e.type === "client.stage" && TERMINAL_STAGES.has(e.stage)) {
      current.outcome = e.stage === "init" ? "up" : "failed";
      current.closed = true;
    } else if (e.type === "dhcp.release") {
      current.outcome = "released";
      current.closed = true;
    }
  }
  for (const b of boots) {
    const segs = bootSegments(b);
    b.start = Math.min(b.start, ...segs.map((s) => s.start));
    b.end = Math.max(b.end, ...segs.map((s) => s.end));
  }
  return boots;
}

function startsBoot(e) {
  const lane = laneOf(e);
  return e.type === "dhcp.discover" || lane === "tftp" || lane === "http" || e.type === "client.stage";
}

function isBootEvent(e) {
  return e && typeof e.at === "number" && LANES.includes(laneOf(e));
}

export function laneOf(e) {
  const p = e.protocol || String(e.type).split(".")[0];
  return p;
}

function num(v) {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function fileOf(d) {
  const v = d?.file ?? d?.path ?? d?.url ?? d?.export;
  return typeof v === "string" ? v : undefined;
}

function baseName(p) {
  return (p.split("?")[0] ?? "").split("/").pop() || p;
}

/**
 * The segments of one boot: { lane, start, end, label, title, error, point }.
 * - dhcp: one exchange from DISCOVER (or REQUEST) to ACK/NAK.
 * - tftp/http: a transfer ends at its done/error event and lasted detail.duration_ms;
 *   a request with no such end stays a point.
 * - nbd: connect to disconnect (open until the boot's last event).
 * - client: each stage lasts until the next one; the last is a point.
 */
export function bootSegments(boot) {
  const events = [...boot.events].sort((a, b) => a.at - b.at || (a.id ?? 0) - (b.id ?? 0));
  const last = events.length ? events[events.length - 1].at : 0;
  const segs = [];

  // DHCP exchanges.
  let open = null;
  for (const e of events.filter((x) => laneOf(x) === "dhcp")) {
    const what = e.type.slice(5).toUpperCase();
    if (!open || what === "DISCOVER") {
      if (open) segs.push(closeDhcp(open, open.lastAt));
      open = { start: e.at, lastAt: e.at, steps: [], ip: e.ip, error: false };
    }
    open.steps.push(what);
    open.lastAt = e.at;
    if (e.ip) open.ip = e.ip;
    if (what === "NAK" || what === "DECLINE") open.error = true;
    if (what === "ACK" || what === "NAK" || what === "DECLINE" || what === "RELEASE") {
      segs.push(closeDhcp(open, e.at));
      open = null;
    }
  }
  if (open) segs.push(closeDhcp(open, open.lastAt));

  // Transfers.
  for (const lane of ["tftp", "http"]) {
    const evs = events.filter((x) => laneOf(x) === lane);
    const ended = evs.filter(
      (x) => num(x.detail?.duration_ms) !== undefined || /\.(done|error)$/.test(x.type),
    );
    const endedFiles = new Set(ended.map((x) => fileOf(x.detail)));
    for (const e of ended) {
      const d = e.detail ?? {};
      const dur = num(d.duration_ms) ?? 0;
      const file = fileOf(d) ?? e.type;
      const bytes = num(d.bytes);
      const error = e.type.endsWith(".error") || (num(d.status) ?? 0) >= 400;
      const parts = [
        `${lane.toUpperCase()} ${file}`,
        bytes !== undefined ? `${bytes} bytes` : null,
        `${dur} ms`,
        error ? `error: ${d.error ?? d.status ?? "failed"}` : null,
      ];
      segs.push({
        lane,
        start: e.at - dur,
        end: e.at,
        label: baseName(file),
        bytes,
        duration: dur,
        title: parts.filter(Boolean).join(" · "),
        error,
        point: dur === 0,
      });
    }
    for (const e of evs) {
      if (ended.includes(e)) continue;
      const file = fileOf(e.detail);
      if (file !== undefined && endedFiles.has(file)) continue;
      segs.push(point(lane, e, file ? `${e.type} ${file}` : e.type, file ? baseName(file) : e.type));
    }
  }

  // NBD connections.
  const conns = [];
  for (const e of events.filter((x) => laneOf(x) === "nbd")) {
    if (e.type === "nbd.connect")
      conns.push({ start: e.at, end: undefined, connect: e, disconnect: undefined });
    else if (e.type === "nbd.disconnect") {
      const c = conns.find((x) => x.end === undefined);
      if (c) {
        c.end = e.at;
        c.disconnect = e;
      } else segs.push(point("nbd", e, e.type, "disconnect"));
    } else
      segs.push(point("nbd", e, `${e.type}${e.detail?.error ? `: ${e.detail.error}` : ""}`, e.type.slice(4)));
  }
  for (const c of conns) {
    const d = { ...(c.connect.detail ?? {}), ...(c.disconnect?.detail ?? {}) };
    const end = c.end ?? last;
    const exp = fileOf(d) ?? "export";
    const bytes = num(d.bytes_read) ?? num(d.bytes);
    segs.push({
      lane: "nbd",
      start: c.start,
      end,
      label: exp,
      bytes,
      duration: end - c.start,
      title: [
        `NBD ${exp}`,
        bytes !== undefined ? `${bytes} bytes read` : null,
        c.end === undefined ? "connected, stays up while the machine runs" : `${end - c.start} ms`,
      ]
        .filter(Boolean)
        .join(" · "),
      error: Boolean(d.error),
      point: false,
    });
  }

  // Client stages.
  const stages = events.filter((x) => x.type === "client.stage");
  stages.forEach((e, i) => {
    const next = stages[i + 1];
    const name = e.stage ?? "stage";
    const error = name === "failed";
    const extra = e.detail?.error ?? e.detail?.message;
    if (!next) {
      segs.push(point("client", e, `client ${name}${extra ? `: ${extra}` : ""}`, name, error));
      return;
    }
    segs.push({
      lane: "client",
      start: e.at,
      end: next.at,
      label: name,
      duration: next.at - e.at,
      title: `client ${name} · ${next.at - e.at} ms until ${next.stage}${extra ? ` · ${extra}` : ""}`,
      error,
      point: false,
    });
  });
  // Other client events (reports that are not stages) are points.
  for (const e of events.filter((x) => laneOf(x) === "client" && x.type !== "client.stage"))
    segs.push(point("client", e, e.type, e.type.slice(7)));

  return segs.sort((a, b) => a.start - b.start);
}

function closeDhcp(open, end) {
  return {
    lane: "dhcp",
    start: open.start,
    end,
    label: open.ip ?? "DHCP",
    duration: end - open.start,
    title: `DHCP ${open.steps.join(" → ")}${open.ip ? ` · ${open.ip}` : ""} · ${end - open.start} ms`,
    error: open.error,
    point: end === open.start,
  };
}

function point(lane, e, title, label, error = false) {
  return {
    lane,
    start: e.at,
    end: e.at,
    label,
    duration: 0,
    title,
    error: error || e.type.endsWith(".error"),
    point: true,
  };
}

/**
 * The milestones of a boot and the phases between them, for comparing boots:
 * dhcp (first event -> first kernel/loader transfer), loading (-> initrd stage
 * or first NBD connect), mounting (-> root-mounted), starting (-> init).
 * A phase whose end was never reached is null.
 */
export const PHASES = [
  { key: "dhcp", name: "DHCP" },
  { key: "loading", name: "loading" },
  { key: "mounting", name: "root mount" },
  { key: "starting", name: "layers + init" },
];

export function bootPhases(boot) {
  const segs = bootSegments(boot);
  const firstOf = (pred) => {
    const s = segs.filter(pred);
    return s.length ? Math.min(...s.map((x) => x.start)) : undefined;
  };
  const stageAt = (stage) => boot.events.find((e) => e.type === "client.stage" && e.stage === stage)?.at;
  const t0 = boot.start;
  const tLoad = firstOf((s) => s.lane === "tftp" || s.lane === "http");
  const tInitrd = stageAt("initrd") ?? firstOf((s) => s.lane === "nbd");
  const tRoot = stageAt("root-mounted") ?? stageAt("layers-applied");
  const tUp = stageAt("init");
  const tFailed = stageAt("failed");
  const marks = [t0, tLoad, tInitrd, tRoot, tUp];
  const phases = {};
  let prev = t0;
  PHASES.forEach((p, i) => {
    const end = marks[i + 1];
    if (end === undefined || prev === undefined) {
      phases[p.key] = null;
      prev = undefined;
      return;
    }
    phases[p.key] = { start: prev, end, duration: Math.max(0, end - prev) };
    prev = end;
  });
  const bytes = segs
    .filter((s) => s.lane === "tftp" || s.lane === "http")
    .reduce((n, s) => n + (s.bytes ?? 0), 0);
  const end = tUp ?? tFailed ?? boot.end;
  return {
    start: t0,
    end,
    total: end - t0,
    outcome: boot.outcome,
    phases,
    bytesLoaded: bytes,
    failedAt: tFailed,
  };
}
