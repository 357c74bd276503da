/**
 * Whether the process may open enough files for a fleet. Every running
 * machine holds two descriptors for as long as it runs (its NBD connection
 * and its image file), and a booting one up to four more (an HTTP transfer's
 * socket and file, and the sendfile thread's copies of both). Shells and
 * many service managers start a process with a soft limit of 1024, which
 * 500 machines exceed; past the limit, accepts and opens fail with EMFILE
 * and machines stop booting. `packaging/bootfleet.service` sets
 * LimitNOFILE; `bootfleet serve` started from a shell says when the limit is
 * low.
 */

/** Descriptors a machine holds while it runs. */
export const FILES_PER_RUNNING_MACHINE = 2;
/** More while it boots. */
export const FILES_PER_BOOTING_MACHINE = 4;
/** The fleet the warning is sized for: a school's morning. */
export const FLEET_MACHINES = 500;

/** The soft "Max open files" limit in /proc/self/limits, or null (not there, unlimited, unreadable). */
export function softOpenFileLimit(limits: string): number | null {
  const line = limits.split("\n").find((l) => l.startsWith("Max open files"));
  const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
  return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : null;
}

/** What FLEET_MACHINES machines booting at once need, when `soft` is below it; null when it is enough. */
export function openFilesNeeded(soft: number | null): number | null {
  const needed = FLEET_MACHINES * (FILES_PER_RUNNING_MACHINE + FILES_PER_BOOTING_MACHINE);
  return soft !== null && soft < needed ? needed : null;
}
