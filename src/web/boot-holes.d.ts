/** Types of boot-holes.js (plain JS for the browser), for its unit test. */
import type { Boot } from "./boot-sessions.js";

export interface Hole {
  readonly start: number;
  readonly end: number;
  readonly duration: number;
  readonly after: string;
  readonly before: string;
  readonly text: string;
}

export const HOLE_MS: number;
export function bootHoles(boot: Pick<Boot, "events">, minMs?: number): Hole[];
