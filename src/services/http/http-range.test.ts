import assert from "node:assert/strict";
import { test } from "node:test";
import { decide, parseRange } from "./http-range.js";

test("range: the forms of RFC 9110 section 14.1.1", () => {
  assert.deepEqual(parseRange("bytes=0-99", 1000), { start: 0, end: 99 });
  assert.deepEqual(parseRange("bytes=900-", 1000), { start: 900, end: 999 });
  assert.deepEqual(parseRange("bytes=-100", 1000), { start: 900, end: 999 });
  assert.deepEqual(parseRange("bytes=-5000", 1000), { start: 0, end: 999 });
  assert.deepEqual(parseRange("bytes=990-2000", 1000), { start: 990, end: 999 });
  assert.equal(parseRange("bytes=1000-", 1000), "unsatisfiable");
  assert.equal(parseRange("bytes=-0", 1000), "unsatisfiable");
  assert.equal(parseRange("bytes=5-1", 1000), null);
  assert.equal(parseRange("bytes=0-1,5-6", 1000), null);
  assert.equal(parseRange("items=0-1", 1000), null);
  assert.equal(parseRange("bytes=-", 1000), null);
});

test("conditions: If-None-Match, If-Modified-Since, If-Range", () => {
  const file = { etag: '"abc"', mtime: Date.parse("2024-06-01T12:00:00Z") + 400, size: 1000 };
  const get = { method: "GET" };
  assert.deepEqual(decide({ ...get, ifNoneMatch: '"abc"' }, file), { status: 304 });
  assert.deepEqual(decide({ ...get, ifNoneMatch: 'W/"abc", "x"' }, file), { status: 304 });
  assert.equal(
    decide({ ...get, ifNoneMatch: '"x"', ifModifiedSince: "Sat, 01 Jun 2024 12:00:00 GMT" }, file).status,
    200,
  );
  assert.deepEqual(decide({ ...get, ifModifiedSince: "Sat, 01 Jun 2024 12:00:00 GMT" }, file), {
    status: 304,
  });
  assert.equal(decide({ ...get, ifModifiedSince: "Sat, 01 Jun 2024 11:59:59 GMT" }, file).status, 200);
  assert.deepEqual(decide({ ...get, range: "bytes=10-19" }, file), { status: 206, start: 10, end: 19 });
  assert.deepEqual(decide({ ...get, range: "bytes=10-19", ifRange: '"abc"' }, file), {
    status: 206,
    start: 10,
    end: 19,
  });
  assert.equal(decide({ ...get, range: "bytes=10-19", ifRange: '"old"' }, file).status, 200);
  assert.equal(
    decide({ ...get, range: "bytes=10-19", ifRange: "Sat, 01 Jun 2024 12:00:00 GMT" }, file).status,
    206,
  );
  assert.equal(decide({ method: "HEAD", range: "bytes=10-19" }, file).status, 200);
  assert.deepEqual(decide({ ...get, range: "bytes=2000-" }, file), { status: 416 });
});
