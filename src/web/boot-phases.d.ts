/** Types of boot-phases.js (plain JS for the browser), for its unit test. */
import type { Boot } from "./boot-sessions.js";

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

export const PHASES: readonly { readonly key: string; readonly name: string }[];
export function bootPhases(boot: Boot): BootPhases;
