/**
 * Prometheus metrics, fed from the event bus only: services publish events
 * and never learn that metrics exist. An own Registry per instance (never
 * prom-client's global one), so tests and several servers in one process
 * do not share counters.
 *
 * Events read, and the detail fields used:
 *   dhcp.<type>                          bootfleet_dhcp_packets_total{type}
 *   dhcp.discover {reply: "offer"}, dhcp.ack/nak {state}   also the offer sent, the request received
 *   tftp.done {bytes}, tftp.error        bootfleet_tftp_{bytes,transfers}_total
 *   http.get {bytes, kind, status}       bootfleet_http_{bytes,transfers}_total
 *   http.error {kind, status}            bootfleet_http_transfers_total{result="error"}
 *   nbd.connect / nbd.disconnect         bootfleet_nbd_active_connections, bootfleet_nbd_connections_total
 *   nbd.disconnect {bytes_read, bytes_written} (or {bytes})   bootfleet_nbd_bytes_total{direction}
 *   client.stage {stage}                 bootfleet_boot_stage_seconds{stage}
 *   every event                          bootfleet_events_total{protocol}
 *
 * Boot stage latency: seconds from the first DHCP DISCOVER of a boot to
 * each later milestone of the same MAC (DHCP ACK, the iPXE script, the
 * kernel and the layer cpio over HTTP, then the client hook's stages). A
 * boot ends at stage up/init/failed or after 30 minutes; the initramfs's own
 * DHCP DISCOVER inside a running boot does not restart the clock.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { BootEvent, EventBus } from "../events/event-bus.js";

export interface BootMetrics {
  readonly registry: Registry;
  /** Stops listening to the bus. */
  dispose(): void;
}

export interface BootMetricsOptions {
  /** Process metrics (CPU, memory, event loop lag); off in tests. */
  readonly processMetrics?: boolean | undefined;
  /** Longest a boot is followed, in ms. */
  readonly bootWindowMs?: number | undefined;
  /** Most machines followed at once (a flood of random MACs must not grow memory without end). */
  readonly maxTracked?: number | undefined;
}

const FINAL_STAGES = new Set(["up", "init", "failed"]);
const STAGE_BUCKETS = [0.5, 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0;
}

function label(v: unknown, fallback: string): string {
  return typeof v === "string" && /^[a-z0-9_.-]{1,32}$/i.test(v) ? v : fallback;
}

/** Event types told apart at most (they are the services' own constants; the cap only bounds a bug). */
const MAX_TYPES = 1000;

/** What events of one type count in. */
interface EventKind {
  /** The type without its protocol: "ack" of "dhcp.ack". */
  readonly what: string;
  readonly event: Counter.Internal;
  readonly dhcp: Counter.Internal | undefined;
}

export function createBootMetrics(bus: EventBus, options: BootMetricsOptions = {}): BootMetrics {
  const registry = new Registry();
  // prom-client samples event-loop lag with a libuv timer every
  // eventLoopMonitoringPrecision ms (10 by default): 100 wake-ups a second,
  // about 1% of a CPU on an idle server. A stall long enough to matter
  // still shows at 100 ms; Prometheus scrapes every 15 s or so.
  if (options.processMetrics)
    collectDefaultMetrics({ register: registry, prefix: "bootfleet_", eventLoopMonitoringPrecision: 100 });
  const registers = [registry];

  const events = new Counter({
    name: "bootfleet_events_total",
    help: "Boot events published, by protocol",
    labelNames: ["protocol"],
    registers,
  });
  const dhcp = new Counter({
    name: "bootfleet_dhcp_packets_total",
    help: "DHCP packets by message type (discover, offer, request, ack, nak, ...)",
    labelNames: ["type"],
    registers,
  });
  // An exchange's event stands for the packet received and the reply
  // (dhcp-events.ts): the reply's or the request's count comes from its detail.
  const offersSent = dhcp.labels("offer");
  const requestsAnswered = dhcp.labels("request");
  // Every DHCP packet publishes an event: what an event type counts in is
  // worked out once per type, not sliced, checked and hashed from a label
  // object per event.
  const kinds = new Map<string, EventKind>();
  const kindOf = (e: BootEvent): EventKind => {
    let kind = kinds.get(e.type);
    if (kind === undefined) {
      const what = e.type.slice(e.type.indexOf(".") + 1);
      kind = {
        what,
        event: events.labels(label(e.protocol, "other")),
        dhcp: e.protocol === "dhcp" ? dhcp.labels(label(what, "other")) : undefined,
      };
      if (kinds.size < MAX_TYPES) kinds.set(e.type, kind);
    }
    return kind;
  };
  const tftpBytes = new Counter({
    name: "bootfleet_tftp_bytes_total",
    help: "Bytes sent over TFTP",
    registers,
  });
  const tftpTransfers = new Counter({
    name: "bootfleet_tftp_transfers_total",
    help: "TFTP transfers by result",
    labelNames: ["result"],
    registers,
  });
  const httpBytes = new Counter({
    name: "bootfleet_http_bytes_total",
    help: "Bytes of boot files sent over HTTP, by kind",
    labelNames: ["kind"],
    registers,
  });
  const httpTransfers = new Counter({
    name: "bootfleet_http_transfers_total",
    help: "Boot file requests over HTTP, by kind and result",
    labelNames: ["kind", "result"],
    registers,
  });
  const nbdBytes = new Counter({
    name: "bootfleet_nbd_bytes_total",
    help: "Bytes moved over NBD, by direction (read: to clients)",
    labelNames: ["direction"],
    registers,
  });
  const nbdConnections = new Counter({
    name: "bootfleet_nbd_connections_total",
    help: "NBD connections accepted",
    registers,
  });
  const nbdActive = new Gauge({
    name: "bootfleet_nbd_active_connections",
    help: "NBD connections open now",
    registers,
  });
  const stageSeconds = new Histogram({
    name: "bootfleet_boot_stage_seconds",
    help: "Seconds from a machine's first DHCP DISCOVER to each boot stage",
    labelNames: ["stage"],
    buckets: STAGE_BUCKETS,
    registers,
  });

  const windowMs = options.bootWindowMs ?? 30 * 60 * 1000;
  const maxTracked = options.maxTracked ?? 10000;
  /** MAC -> start of its boot and the milestones already counted. */
  const boots = new Map<string, { start: number; seen: Set<string> }>();
  let active = 0;

  const milestone = (e: BootEvent, stage: string): void => {
    if (!e.mac) return;
    const boot = boots.get(e.mac);
    if (!boot) return;
    if (e.at - boot.start > windowMs) {
      boots.delete(e.mac);
      return;
    }
    if (boot.seen.has(stage)) return;
    boot.seen.add(stage);
    stageSeconds.observe({ stage }, (e.at - boot.start) / 1000);
    if (FINAL_STAGES.has(stage)) boots.delete(e.mac);
  };

  const onEvent = (e: BootEvent): void => {
    const kind = kindOf(e);
    kind.event.inc();
    const d = e.detail ?? {};
    const what = kind.what;
    switch (e.protocol) {
      case "dhcp": {
        kind.dhcp?.inc();
        if (d.reply === "offer") offersSent.inc();
        // An ACK to an INFORM answers no REQUEST.
        else if ((what === "ack" || what === "nak") && typeof d.state === "string" && d.state !== "inform")
          requestsAnswered.inc();
        if (what === "discover" && e.mac) {
          const boot = boots.get(e.mac);
          if (!boot || e.at - boot.start > windowMs) {
            boots.delete(e.mac);
            boots.set(e.mac, { start: e.at, seen: new Set() });
            if (boots.size > maxTracked) {
              // The oldest quarter goes at once. Deleting the oldest one per
              // DISCOVER costs a scan over every entry deleted before it (V8
              // keeps them until the Map is rebuilt): 6 us a DISCOVER once a
              // flood of new MACs fills the table.
              let drop = boots.size - Math.floor(maxTracked * 0.75);
              for (const mac of boots.keys()) {
                if (drop-- <= 0) break;
                boots.delete(mac);
              }
            }
          }
        }
        if (what === "ack") milestone(e, "dhcp-ack");
        break;
      }
      case "tftp":
        if (what === "done") {
          tftpBytes.inc(num(d.bytes));
          tftpTransfers.inc({ result: "done" });
        } else if (what === "error") {
          // A flood's summary event stands for `repeated` refused requests (tftp-refusal-reporter.ts).
          tftpTransfers.inc({ result: "error" }, d.repeated === undefined ? 1 : num(d.repeated));
        }
        break;
      case "http": {
        const kind = label(d.kind, "other");
        if (what === "get") {
          httpBytes.inc({ kind }, num(d.bytes));
          httpTransfers.inc({ kind, result: d.complete === false ? "aborted" : "done" });
          if (kind === "script") milestone(e, "ipxe-script");
          if (kind === "layers") milestone(e, "layers-fetched");
        } else if (what === "error") httpTransfers.inc({ kind, result: "error" });
        break;
      }
      case "nbd":
        if (what === "connect") {
          nbdConnections.inc();
          active++;
          nbdActive.set(active);
        } else if (what === "disconnect") {
          active = Math.max(0, active - 1);
          nbdActive.set(active);
          nbdBytes.inc({ direction: "read" }, num(d.bytes_read ?? d.bytes));
          nbdBytes.inc({ direction: "write" }, num(d.bytes_written));
        }
        break;
      case "client":
        if (what === "stage" && e.stage) milestone(e, label(e.stage, "other"));
        break;
    }
  };

  const unsubscribe = bus.subscribe(onEvent);
  return { registry, dispose: unsubscribe };
}
