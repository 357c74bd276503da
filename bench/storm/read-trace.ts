/**
 * The NBD read pattern of one recorded client boot, as the storm replays
 * it: every READ the client sent after NBD_OPT_GO, with when it was sent
 * and when its reply ended (milliseconds from the first request), its
 * offset and its length. Kept gzipped as JSON in bench/storm/traces/:
 * `reads` is a list of [sentMs, offset, length, repliedMs] rows, the
 * compact form of a few thousand requests.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";

export interface TracedRead {
  readonly sentMs: number;
  readonly offset: number;
  readonly length: number;
  readonly repliedMs: number;
}

export interface ReadTrace {
  /** What booted, and how it was recorded. */
  readonly source: string;
  /** Size of the export the reads were made against, in bytes. */
  readonly exportBytes: number;
  readonly reads: readonly TracedRead[];
}

type Row = readonly [number, number, number, number];

export function saveReadTrace(file: string, trace: ReadTrace): void {
  const rows: Row[] = trace.reads.map((r) => [r.sentMs, r.offset, r.length, r.repliedMs]);
  const text = JSON.stringify({ source: trace.source, exportBytes: trace.exportBytes, reads: rows });
  writeFileSync(file, gzipSync(Buffer.from(text), { level: 9 }));
}

export function loadReadTrace(file: string): ReadTrace {
  const raw = readFileSync(file);
  const parsed = JSON.parse((file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8")) as {
    source?: unknown;
    exportBytes?: unknown;
    reads?: unknown;
  };
  const { source, exportBytes } = parsed;
  if (typeof source !== "string" || typeof exportBytes !== "number" || !Array.isArray(parsed.reads))
    throw new Error(`${file}: not a read trace (source, exportBytes and reads expected)`);
  const reads = parsed.reads.map((row: unknown, i: number): TracedRead => {
    if (!Array.isArray(row) || row.length !== 4 || !row.every((n) => Number.isSafeInteger(n) && n >= 0))
      throw new Error(`${file}: read ${i} is not [sentMs, offset, length, repliedMs]`);
    const [sentMs, offset, length, repliedMs] = row as unknown as Row;
    if (offset + length > exportBytes)
      throw new Error(
        `${file}: read ${i} ends at ${offset + length}, past the export's ${exportBytes} bytes`,
      );
    return { sentMs, offset, length, repliedMs };
  });
  return { source, exportBytes, reads };
}
