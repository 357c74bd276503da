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

export interface Segment {
  readonly lane: string;
  readonly start: number;
  readonly end: number;
  readonly label: string;
  readonly bytes?: number;
  readonly duration: number;
  readonly title: string;
  readonly error: boolean;
  readonly point: boolean;
}

export interface Phase {
  readonly start: number;
  readonly end: number;
  readonly duration: number;
}

export interface BootPhases {
  readonly start: number;
  readonly end: number;
  readonly total: number;
  readonly outcome: Boot["outcome"];
  readonly phases: Readonly<Record<"dhcp" | "loading" | "mounting" | "starting", Phase | null>>;
  readonly bytesLoaded: number;
  readonly failedAt: number | undefined;
}

export const LANES: readonly string[];
export const BOOT_GAP_MS: number;
export const PHASES: readonly { readonly key: string; readonly name: string }[];
export function splitBoots(events: readonly SessionEvent[], gapMs?: number): Boot[];
export function bootSegments(boot: Pick<Boot, "events">): Segment[];
export function bootPhases(boot: Boot): BootPhases;
export function laneOf(e: SessionEvent): string;
