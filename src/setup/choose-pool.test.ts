import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { choosePool } from "./choose-pool.js";

describe("choosePool", () => {
  it("a /24: .100-.199, the habit of small networks", () => {
    assert.deepEqual(choosePool("198.18.0.1", 24), ["198.18.0.100-198.18.0.199"]);
  });

  it("leaves out the server's own address and the router's, splitting the range around them", () => {
    assert.deepEqual(choosePool("198.18.0.150", 24, ["198.18.0.100", "198.18.0.151"]), [
      "198.18.0.101-198.18.0.149",
      "198.18.0.152-198.18.0.199",
    ]);
  });

  it("a larger subnet: 100 addresses in the server's own /24", () => {
    assert.deepEqual(choosePool("10.20.5.1", 16), ["10.20.5.100-10.20.5.199"]);
  });

  it("a smaller subnet: the same share of it, inside it", () => {
    assert.deepEqual(choosePool("198.18.0.129", 26), ["198.18.0.153-198.18.0.177"]);
    assert.deepEqual(choosePool("198.18.0.1", 29), ["198.18.0.3-198.18.0.5"]);
  });

  it("a /30 or smaller has no room for a pool", () => {
    assert.deepEqual(choosePool("198.18.0.1", 30), []);
    assert.deepEqual(choosePool("198.18.0.1", 32), []);
  });
});
