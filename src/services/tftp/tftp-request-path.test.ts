import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requestPath } from "./tftp-request-path.js";

describe("tftp request path", () => {
  const accepted: [string, string][] = [
    ["pxelinux.0", "pxelinux.0"],
    ["/pxelinux.0", "pxelinux.0"], // PXE ROMs' leading slash
    ["pxelinux.cfg/default", "pxelinux.cfg/default"],
    ["/boot//grub/./grub.cfg", "boot/grub/grub.cfg"],
    ["/etc/passwd", "etc/passwd"], // under the root, like tftp-hpa -s
    ["images/debian/vmlinuz", "images/debian/vmlinuz"],
    ["...", "..."],
    ["a..b/c", "a..b/c"],
  ];
  for (const [name, path] of accepted) {
    it(`takes ${JSON.stringify(name)} as ${path}`, () => {
      assert.deepEqual(requestPath(name), { ok: true, path });
    });
  }

  const refused: [string, string][] = [
    ["", "empty file name"],
    ["/", "file name names the root folder"],
    [".", "file name names the root folder"],
    ["..", "parent directory (..) in file name"],
    ["../etc/passwd", "parent directory (..) in file name"],
    ["a/../../b", "parent directory (..) in file name"],
    ["a/..", "parent directory (..) in file name"],
    ["//etc/passwd", "absolute path"],
    ["C:/boot.ini", "DOS drive in file name"],
    ["boot\\pxeboot.n12", "backslash in file name"],
    ["a\u0000b", "control character in file name"],
    ["a\nb", "control character in file name"],
    ["x".repeat(1025), "file name longer than 1024 bytes"],
  ];
  for (const [name, reason] of refused) {
    it(`refuses ${JSON.stringify(name.slice(0, 20))}: ${reason}`, () => {
      assert.deepEqual(requestPath(name), { ok: false, reason });
    });
  }
});
