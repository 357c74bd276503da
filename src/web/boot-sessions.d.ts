/** Types of boot-sessions.js (plain JS for the browser), for its unit test. */
export interface SessionEvent {
  readonly id?: number;
  readonly at: number;
  readonly type: string;
  readonly protocol?: string;
  readonly mac?: string | null;
  readonly ip?: string | null;
  readonly stage?: string | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface Boot {
  start: number;
  end: number;
  events: SessionEvent[];
  later: SessionEvent[];
  outcome: "up" | "failed" | "released" | "incomplete";
  closed: boolean;
}

export const BOOT_GAP_MS: number;
export function splitBoots(events: readonly SessionEvent[], gapMs?: number): Boot[];
