/**
 * Waits for a server a benchmark started to be ready (a log line, a bound
 * port: `ready()`), failing with the tail of its log at the deadline.
 */
import { existsSync, readFileSync } from "node:fs";

export async function waitForStart(
  what: string,
  log: string,
  ready: () => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) {
      const tail = existsSync(log) ? readFileSync(log, "utf8").slice(-3000) : "";
      throw new Error(`${what} did not start within ${timeoutMs} ms:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
