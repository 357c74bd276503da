/**
 * Waits for a positive signal (an event recorded, a log line written, a
 * counter reached) instead of sleeping a fixed time and hoping it was long
 * enough. The bound only turns a signal that never comes into a failure
 * naming what was awaited; a passing test never waits for it.
 */
import assert from "node:assert/strict";

const POLL_MS = 5;

export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() >= deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
