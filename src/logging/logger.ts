/**
 * The logger every service is handed: pino's shape, narrowed to what we use,
 * so tests can pass a recording fake and the services do not import pino.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface LogRecord {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly obj: object;
  readonly msg: string | undefined;
  readonly bindings: Record<string, unknown>;
}

/** A logger that keeps records in memory: for tests that check "one log line". */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[];
  readonly #bindings: Record<string, unknown>;

  constructor(records: LogRecord[] = [], bindings: Record<string, unknown> = {}) {
    this.records = records;
    this.#bindings = bindings;
  }

  debug(obj: object, msg?: string): void {
    this.records.push({ level: "debug", obj, msg, bindings: this.#bindings });
  }
  info(obj: object, msg?: string): void {
    this.records.push({ level: "info", obj, msg, bindings: this.#bindings });
  }
  warn(obj: object, msg?: string): void {
    this.records.push({ level: "warn", obj, msg, bindings: this.#bindings });
  }
  error(obj: object, msg?: string): void {
    this.records.push({ level: "error", obj, msg, bindings: this.#bindings });
  }
  child(bindings: Record<string, unknown>): Logger {
    return new MemoryLogger(this.records, { ...this.#bindings, ...bindings });
  }
}
