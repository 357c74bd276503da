/**
 * Progress of a long image verb. The verbs only call `step`, `update` and
 * `note`; how it shows is the reporter's business: a redrawn bar on a
 * terminal, a line every 10% in a log file or CI, nothing in tests.
 */
export interface ProgressReporter {
  /** A new step begins ("squashing", "copying source", ...). */
  step(label: string): void;
  /** How far the current step is, 0..1. */
  update(fraction: number): void;
  /** One line of information (a tool's message, a warning). */
  note(text: string): void;
  /** The verb finished (or failed): leave the terminal clean. */
  done(): void;
}

export const silentProgress: ProgressReporter = {
  step() {},
  update() {},
  note() {},
  done() {},
};

interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export class ProgressBar implements ProgressReporter {
  readonly #out: OutStream;
  readonly #tty: boolean;
  #label = "";
  #fraction = -1;
  #lastTenth = -1;
  #drawn = false;

  constructor(out: OutStream = process.stderr, options: { tty?: boolean } = {}) {
    this.#out = out;
    this.#tty = options.tty ?? out.isTTY === true;
  }

  step(label: string): void {
    this.#finishLine();
    this.#label = label;
    this.#fraction = -1;
    this.#lastTenth = -1;
    if (this.#tty) this.#draw();
    else this.#out.write(`${label}...\n`);
  }

  update(fraction: number): void {
    const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    if (this.#tty) {
      // Redraw only when the shown percentage changes: mksquashfs reports
      // thousands of times per second.
      if (Math.floor(f * 100) === Math.floor(this.#fraction * 100)) return;
      this.#fraction = f;
      this.#draw();
      return;
    }
    this.#fraction = f;
    const tenth = Math.floor(f * 10);
    if (tenth > this.#lastTenth) {
      this.#lastTenth = tenth;
      this.#out.write(`${this.#label}: ${tenth * 10}%\n`);
    }
  }

  note(text: string): void {
    if (this.#tty && this.#drawn) {
      this.#out.write(`\r\x1b[K${text}\n`);
      this.#draw();
    } else {
      this.#out.write(`${text}\n`);
    }
  }

  done(): void {
    this.#finishLine();
  }

  #finishLine(): void {
    if (this.#tty && this.#drawn) this.#out.write("\n");
    this.#drawn = false;
  }

  #draw(): void {
    const columns = Math.max(40, this.#out.columns ?? 80);
    if (this.#fraction < 0) {
      this.#out.write(`\r\x1b[K${this.#label}...`);
    } else {
      const pct = `${Math.floor(this.#fraction * 100)}%`.padStart(4);
      const width = Math.max(10, Math.min(50, columns - this.#label.length - 10));
      const filled = Math.round(this.#fraction * width);
      this.#out.write(`\r\x1b[K${this.#label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${pct}`);
    }
    this.#drawn = true;
  }
}
