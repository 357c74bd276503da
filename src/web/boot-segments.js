/**
 * The timeline of one boot: which lane an event belongs to, and the segments
 * drawn on each lane. Pure: no DOM, no fetch, so the same code can be checked
 * outside a browser.
 *
 * Events are the store's rows: { id, at, type, protocol, mac, ip, stage, detail }.
 */

export const LANES = ["dhcp", "tftp", "http", "nbd", "client"];

/** The event's protocol (the type's prefix when the row has none). */
export function laneOf(e) {
  return e.protocol || String(e.type).split(".")[0];
}

/**
 * The segments of one boot: { lane, start, end, label, title, error, point },
 * sorted by start. One lane after the other; see each lane's function.
 */
export function bootSegments(boot) {
  const events = [...boot.events].sort((a, b) => a.at - b.at || (a.id ?? 0) - (b.id ?? 0));
  const last = events.length ? events[events.length - 1].at : 0;
  const on = (lane) => events.filter((x) => laneOf(x) === lane);
  return [
    ...dhcpSegments(on("dhcp")),
    ...transferSegments("tftp", on("tftp")),
    ...transferSegments("http", on("http")),
    ...nbdSegments(on("nbd"), last),
    ...clientSegments(on("client")),
  ].sort((a, b) => a.start - b.start);
}

/**
 * One segment per exchange, from DISCOVER (or REQUEST) to ACK/NAK; a
 * DISCOVER starts a new exchange (the PXE ROM, iPXE and the initramfs each
 * send one). The server writes a DISCOVER and its OFFER as one event
 * (detail.reply "offer"), and a REQUEST with its ACK or NAK (detail.state);
 * a store from before has them apart. The steps show every packet either way.
 */
function dhcpSegments(events) {
  const segs = [];
  let open = null;
  for (const e of events) {
    const what = e.type.slice(5).toUpperCase();
    if (!open || what === "DISCOVER") {
      if (open) segs.push(closeDhcp(open, open.lastAt));
      open = { start: e.at, lastAt: e.at, steps: [], ip: e.ip, error: false };
    }
    const answers = (what === "ACK" || what === "NAK") && typeof e.detail?.state === "string";
    if (answers && e.detail.state !== "inform" && open.steps.at(-1) !== "REQUEST") open.steps.push("REQUEST");
    open.steps.push(what);
    if (what === "DISCOVER" && e.detail?.reply === "offer") open.steps.push("OFFER");
    open.lastAt = e.at;
    if (e.ip) open.ip = e.ip;
    if (what === "NAK" || what === "DECLINE") open.error = true;
    if (what === "ACK" || what === "NAK" || what === "DECLINE" || what === "RELEASE") {
      segs.push(closeDhcp(open, e.at));
      open = null;
    }
  }
  if (open) segs.push(closeDhcp(open, open.lastAt));
  return segs;
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

/**
 * TFTP or HTTP: a transfer ends at its done/error event and lasted
 * detail.duration_ms; a request with no such end (for a file that has none)
 * stays a point.
 */
function transferSegments(lane, events) {
  const segs = [];
  const ended = events.filter(
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
  for (const e of events) {
    if (ended.includes(e)) continue;
    const file = fileOf(e.detail);
    if (file !== undefined && endedFiles.has(file)) continue;
    segs.push(point(lane, e, file ? `${e.type} ${file}` : e.type, file ? baseName(file) : e.type));
  }
  return segs;
}

/**
 * NBD: connect to disconnect; a connection still open stays up to the boot's
 * last event (`last`), as the root filesystem stays mounted while the machine runs.
 */
function nbdSegments(events, last) {
  const segs = [];
  const conns = [];
  for (const e of events) {
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
  return segs;
}

/**
 * The client hook's stages: each lasts until the next one, the last is a
 * point; "failed" is an error. Other client reports are points.
 */
function clientSegments(events) {
  const segs = [];
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
  for (const e of events.filter((x) => x.type !== "client.stage"))
    segs.push(point("client", e, e.type, e.type.slice(7)));
  return segs;
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
