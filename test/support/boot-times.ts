/**
 * test-results/boot-times.json: seconds from QEMU start to the image's init,
 * one key per boot path, written by every whole-boot test (the README's
 * figures). Each test adds its own keys and keeps the others'.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../fixtures/images/debian-kernel.js";

export function recordBootTime(key: string, seconds: number): void {
  const dir = join(REPO_ROOT, "test-results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "boot-times.json");
  let times: Record<string, number> = {};
  try {
    times = JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
  } catch {}
  times[key] = seconds;
  writeFileSync(file, `${JSON.stringify(times, null, 2)}\n`);
}
