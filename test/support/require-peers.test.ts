/**
 * The peer table and the install lists agree: every package a missing
 * program points to is one `npm test` installs (scripts/test-peers.txt or
 * scripts/serve-packages.txt), or one every Debian system has.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { findPeer, missingPeers, PEER_PACKAGES, requirePeers } from "./require-peers.js";

const root = new URL("../../", import.meta.url);

/** Essential or required on every Debian system, so never listed. */
const ALWAYS_INSTALLED = new Set(["apt", "dpkg", "util-linux"]);

/** Package names of a list file: the first word of each line, comments dropped. */
function listed(file: string): Set<string> {
  const text = readFileSync(new URL(file, root), "utf8");
  return new Set(
    text
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim().split(/\s+/)[0] ?? "")
      .filter(Boolean),
  );
}

describe("peer programs", () => {
  it("every package named for a missing program is one npm test installs", () => {
    const installed = new Set([...listed("scripts/test-peers.txt"), ...listed("scripts/serve-packages.txt")]);
    const unlisted = Object.entries(PEER_PACKAGES).filter(
      ([, pkg]) => !installed.has(pkg) && !ALWAYS_INSTALLED.has(pkg),
    );
    assert.deepEqual(unlisted, [], "add these packages to scripts/test-peers.txt");
  });

  it("finds a program by name in PATH and by absolute path", () => {
    assert.equal(findPeer("sh", { PATH: "/bin:/usr/bin" })?.endsWith("/sh"), true);
    assert.equal(findPeer("/bin/sh"), "/bin/sh");
    assert.equal(findPeer("/nonexistent/sh"), undefined);
  });

  it("a missing program fails with the Debian package that brings it", () => {
    assert.equal(missingPeers(["/bin/sh"]), undefined);
    // Paths no system has, so the check cannot find them in /usr/sbin either.
    assert.throws(
      () => requirePeers(["/nonexistent/in.tftpd", "/nonexistent/atftp", "/nonexistent/tftp"]),
      /^Error: missing test peer\(s\) \/nonexistent\/in\.tftpd, \/nonexistent\/atftp, \/nonexistent\/tftp: apt-get install tftpd-hpa atftp tftp-hpa /,
    );
  });
});
