import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ImageError } from "./image-error.js";
import { assertImageName, formatExportName, isImageName, parseExportName } from "./image-name.js";

describe("image and export names", () => {
  it("accept lower-case names safe as folders, config words and export names", () => {
    for (const ok of ["debian", "debian-12", "lab3.kiosk", "a", "x_y"])
      assert.equal(isImageName(ok), true, ok);
    for (const bad of ["", "Debian", ".hidden", "-x", "a/b", "a@b", "..", "a b", "x".repeat(65)]) {
      assert.equal(isImageName(bad), false, bad);
    }
  });

  it("say what a name may be", () => {
    assert.throws(
      () => assertImageName("Debian"),
      (e: unknown) =>
        e instanceof ImageError &&
        e.code === "IMAGE_NAME_INVALID" &&
        /lower-case letters, digits/.test(e.message),
    );
  });

  it("parse <image> and <image>@<version>", () => {
    assert.deepEqual(parseExportName("debian"), { image: "debian" });
    assert.deepEqual(parseExportName("debian@20261124-153000"), {
      image: "debian",
      version: "20261124-153000",
    });
    assert.equal(formatExportName("debian", "20261124-153000"), "debian@20261124-153000");
    assert.equal(formatExportName("debian"), "debian");
  });

  it("refuse exports with a bad image or version", () => {
    assert.throws(
      () => parseExportName("debian@current"),
      /version after '@' must look like 20261124-153000/,
    );
    assert.throws(() => parseExportName("../etc@20261124-153000"), /invalid image name/);
    assert.throws(() => parseExportName(""), /invalid image name ''/);
  });
});
