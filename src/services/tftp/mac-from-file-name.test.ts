import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { macFromFileName } from "./mac-from-file-name.js";

describe("MAC from a requested file name", () => {
  const cases: [string, string | undefined][] = [
    ["pxelinux.cfg/01-52-54-00-12-34-56", "52:54:00:12:34:56"],
    ["boot/pxelinux.cfg/01-AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff"],
    ["grub/grub.cfg-01-52-54-00-12-34-56", "52:54:00:12:34:56"],
    ["boot/52:54:00:12:34:56.ipxe", "52:54:00:12:34:56"],
    ["boot/52-54-00-12-34-56.ipxe", "52:54:00:12:34:56"],
    ["pxelinux.cfg/C0A80014", undefined],
    ["pxelinux.cfg/default", undefined],
    ["52-54-00:12-34-56", undefined],
    ["11-22-33-44-55-66-77", undefined],
  ];
  for (const [name, mac] of cases) {
    it(`${name} -> ${mac}`, () => assert.equal(macFromFileName(name), mac));
  }
});
