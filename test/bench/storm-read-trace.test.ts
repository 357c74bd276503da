/** The storm's recorded read trace loads, and a damaged one is refused with the row that is wrong. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { loadReadTrace, saveReadTrace } from "../../bench/storm/read-trace.js";

const RECORDED = fileURLToPath(new URL("../../bench/storm/traces/busybox-boot.json.gz", import.meta.url));

test("the committed trace: reads in time order, inside the export", () => {
  const t = loadReadTrace(RECORDED);
  assert.ok(t.reads.length > 0);
  for (let i = 1; i < t.reads.length; i++) assert.ok(t.reads[i]!.sentMs >= t.reads[i - 1]!.sentMs);
  for (const r of t.reads) assert.ok(r.repliedMs >= r.sentMs && r.offset + r.length <= t.exportBytes);
});

test("save then load gives the same trace; bad rows are named", () => {
  const dir = mkdtempSync(join(tmpdir(), "bf-trace-"));
  try {
    const file = join(dir, "t.json.gz");
    const trace = {
      source: "test",
      exportBytes: 8192,
      reads: [{ sentMs: 0, offset: 4096, length: 4096, repliedMs: 2 }],
    };
    saveReadTrace(file, trace);
    assert.deepEqual(loadReadTrace(file), trace);
    const bad = join(dir, "bad.json.gz");
    writeFileSync(
      bad,
      gzipSync(JSON.stringify({ source: "x", exportBytes: 4096, reads: [[0, 4096, 4096, 1]] })),
    );
    assert.throws(() => loadReadTrace(bad), /read 0 ends at 8192, past the export's 4096 bytes/);
    writeFileSync(bad, gzipSync(JSON.stringify({ source: "x", exportBytes: 4096, reads: [[0, -1, 1]] })));
    assert.throws(() => loadReadTrace(bad), /read 0 is not \[sentMs, offset, length, repliedMs\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
