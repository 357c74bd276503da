import assert from "node:assert/strict";
import { test } from "node:test";
import { ipv4ToNumber, numberToIpv4 } from "./ipv4-address.js";

test("ipv4ToNumber takes strict dotted quads only", () => {
  const cases: [string, number | null][] = [
    ["198.18.10.5", 3323070981],
    ["0.0.0.0", 0],
    ["255.255.255.255", 4294967295],
    ["01.2.3.4", 16909060],
    ["1.2.3", null],
    ["1.2.3.4.5", null],
    ["256.1.1.1", null],
    ["1..2.3", null],
    ["1.2.3.4 ", null],
    ["", null],
    ["1234.1.1.1", null],
    ["1.2.3.", null],
  ];
  for (const [text, want] of cases) assert.equal(ipv4ToNumber(text), want, text);
  assert.equal(numberToIpv4(3323070981), "198.18.10.5");
});
