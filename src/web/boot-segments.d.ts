/** Types of boot-segments.js (plain JS for the browser), for its unit test. */
import type { Boot, SessionEvent } from "./boot-sessions.js";

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

export const LANES: readonly string[];
export function laneOf(e: SessionEvent): string;
export function bootSegments(boot: Pick<Boot, "events">): Segment[];
