/**
 * What one DHCP event row costs the store: CPU per event of the SQLite
 * store's `addEvents` (the call the event writer makes), for the two
 * events of an exchange of 200 machines, 2,500 to a transaction as the
 * writer batches them under load. `--drop-index` first drops indexes of the
 * events table, to see what each one costs. A measurement of one part of
 * `bootfleet serve`, for the question where its CPU per exchange goes
 * (bench/dhcp/README.md); the comparison with kea is dhcp-bench.ts.
 *
 *   node --import tsx bench/dhcp/event-row-cost.ts [--batch 2500] [--batches 80]
 *       [--drop-index events_type,events_at,events_mac]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { eventFileOf } from "../../src/store/sqlite/event-file.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { NewEvent } from "../../src/store/store.js";
import { threadCpuSecondsOf } from "../support/cpu-seconds.js";

const { values } = parseArgs({
  options: {
    batch: { type: "string", default: "2500" },
    batches: { type: "string", default: "80" },
    "drop-index": { type: "string", default: "" },
  },
});
const batchSize = Math.max(1, Number(values.batch));
const batches = Math.max(1, Number(values.batches));
const dropped = values["drop-index"].split(",").filter((s) => s !== "");
const INDEXES = new Set(["events_mac", "events_type", "events_at"]);
for (const name of dropped)
  if (!INDEXES.has(name)) throw new Error(`--drop-index ${name}: one of ${[...INDEXES].join(", ")} expected`);

const MACS = Array.from(
  { length: 200 },
  (_, i) =>
    `52:54:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
);
const ASKED = { arch: 0, vendor_class: "PXEClient:Arch:00000:UNDI:002001" };

/**
 * Two events per exchange, with the details the DHCP service gives them
 * (src/services/dhcp/full-exchange.ts): the DISCOVER with its offer, the
 * ACK with what the REQUEST said.
 */
function exchanges(count: number, at: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const discover = (i & 1) === 0;
    const machine = (i >> 1) % MACS.length;
    return {
      at: at + i,
      type: discover ? "dhcp.discover" : "dhcp.ack",
      protocol: "dhcp",
      mac: MACS[machine]!,
      ip: `198.18.0.${machine}`,
      stage: null,
      detail: discover
        ? { ...ASKED, reply: "offer", network: "198.18.0.0/16", boot_file: "undionly.kpxe" }
        : {
            network: "198.18.0.0/16",
            ...ASKED,
            state: "selecting",
            lease_seconds: 3600,
            boot_file: "undionly.kpxe",
          },
    };
  });
}

/** CPU time of this process's main thread (the one that serves clients in `serve`), in µs. */
function mainThreadCpuUs(): number {
  return threadCpuSecondsOf(process.pid, process.pid) * 1e6;
}

const dir = mkdtempSync(join(tmpdir(), "bf-event-rows-"));
try {
  const file = join(dir, "bootfleet.sqlite");
  const store = openSqliteStore(file);
  if (dropped.length > 0) {
    const db = new Database(eventFileOf(file));
    for (const name of dropped) db.exec(`DROP INDEX ${name}`);
    db.close();
  }
  const start = Date.now();
  // Warm-up: the first batches grow the file and the page cache.
  for (let b = 0; b < 10; b++) await store.addEvents(exchanges(batchSize, start + b * batchSize));
  const work = Array.from({ length: batches }, (_, b) => exchanges(batchSize, start + (b + 10) * batchSize));
  const before = process.cpuUsage();
  const mainBefore = mainThreadCpuUs();
  for (const events of work) await store.addEvents(events);
  const used = process.cpuUsage(before);
  const mainUsed = mainThreadCpuUs() - mainBefore;
  await store.close();
  const n = batchSize * batches;
  console.log(
    `${batches} transactions of ${batchSize} DHCP events, 200 machines` +
      `${dropped.length > 0 ? `, without ${dropped.join(", ")}` : ""}: ` +
      `${((used.user + used.system) / n).toFixed(2)} µs of CPU per event, ${(mainUsed / n).toFixed(2)} µs of it in the calling thread`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
