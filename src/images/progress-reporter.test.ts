import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProgressBar } from "./progress-reporter.js";

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { out: { isTTY, columns: 80, write: (t: string) => chunks.push(t) }, text: () => chunks.join("") };
}

describe("progress bar", () => {
  it("without a terminal, prints a line every 10%", () => {
    const s = sink(false);
    const bar = new ProgressBar(s.out);
    bar.step("squashing");
    for (let i = 0; i <= 1000; i++) bar.update(i / 1000);
    bar.note("a note");
    bar.done();
    assert.equal(
      s.text(),
      `squashing...\n${[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((p) => `squashing: ${p}%\n`).join("")}a note\n`,
    );
  });

  it("on a terminal, redraws one line only when the percentage changes, and ends it", () => {
    const s = sink(true);
    const bar = new ProgressBar(s.out);
    bar.step("squashing");
    for (let i = 0; i <= 10_000; i++) bar.update(i / 10_000);
    bar.done();
    const draws = s.text().split("\r\x1b[K").filter(Boolean);
    assert.equal(draws.length, 102); // "squashing..." then 0%..100%
    assert.match(draws[draws.length - 1]!, /^squashing \[#+\] 100%\n$/);
    assert.doesNotMatch(s.text().slice(0, -1), /\n/);
  });

  it("notes on a terminal go above the bar, which is redrawn", () => {
    const s = sink(true);
    const bar = new ProgressBar(s.out);
    bar.step("bootstrapping");
    bar.update(0.5);
    bar.note("mmdebstrap: downloading");
    assert.match(s.text(), /\r\x1b\[Kmmdebstrap: downloading\n\r\x1b\[Kbootstrapping \[#+-+\] {2}50%$/);
  });
});
