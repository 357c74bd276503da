/**
 * One test per real configuration file in test/fixtures/migrate/corpus/:
 * `bootfleet import` either keeps what every machine of the source booted
 * (checked through `bootfleet explain --json` against the file's
 * `.expect.json`, written from the source program's documentation) or
 * refuses at the line it cannot map. See test/support/import-corpus.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkCorpusCase, corpusCases } from "../support/import-corpus.js";

const cases = corpusCases();

describe("import corpus: real configurations keep what each machine booted", () => {
  it("has corpus files", () =>
    assert.ok(cases.length > 0, "no *.expect.json under test/fixtures/migrate/corpus"));
  for (const c of cases)
    it(c.name, { timeout: 10 * 60_000 }, () => {
      const diffs = checkCorpusCase(c);
      assert.deepEqual(diffs, [], `${c.name} (from ${c.source}):\n${diffs.join("\n")}`);
    });
});
