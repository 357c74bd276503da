/**
 * The process logger: pino, JSON lines when stderr is not a terminal (for
 * journald and log shippers), one readable line per record when it is.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import type { Logger } from "./logger.js";

const LEVELS: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.BOOTFLEET_LOG_LEVEL ?? "info";
  const pretty = opts.pretty ?? process.stderr.isTTY;
  if (!pretty) return pino({ level, base: undefined }, pino.destination(2)) as unknown as Logger;
  return pino({ level, base: undefined }, new PrettyLines(process.stderr)) as unknown as Logger;
}

class PrettyLines extends Writable {
  readonly #out: NodeJS.WritableStream;
  constructor(out: NodeJS.WritableStream) {
    super();
    this.#out = out;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line) continue;
      try {
        const { time, level, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
        const t = new Date(time as number).toTimeString().slice(0, 8);
        const fields = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" ");
        this.#out.write(
          `${t} ${(LEVELS[level as number] ?? String(level)).padEnd(5)} ${msg ?? ""}${fields ? ` ${fields}` : ""}\n`,
        );
      } catch {
        this.#out.write(`${line}\n`);
      }
    }
    done();
  }
}
