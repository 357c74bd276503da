/**
 * Image versions are the UTC time of the build, `YYYYMMDD-HHMMSS`
 * (e.g. `20261124-153000`): fixed width, so plain string order is time order,
 * readable in `ls`, and unique per image because a build that lands in a
 * second already taken moves on to the next free second.
 */
const VERSION = /^\d{8}-\d{6}$/;

export function isImageVersion(text: string): boolean {
  return VERSION.test(text);
}

/** Oldest first. Fixed width, so string order is time order. */
export function compareVersions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function formatVersion(at: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `${p(at.getUTCFullYear(), 4)}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-` +
    `${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`
  );
}

export function parseVersion(version: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(version);
  if (!m) throw new RangeError(`not an image version: '${version}'`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** A version for a build started at `now`, after every existing one and not among them. */
export function nextVersion(existing: Iterable<string>, now: Date): string {
  let newest: string | undefined;
  for (const v of existing) if (isImageVersion(v) && (newest === undefined || v > newest)) newest = v;
  let at = now.getTime() - (now.getTime() % 1000);
  // A clock set back (or two builds in one second) must not produce a version
  // that sorts before the newest: `image use`, pruning and "latest" rely on
  // the order.
  if (newest !== undefined) at = Math.max(at, parseVersion(newest).getTime() + 1000);
  return formatVersion(new Date(at));
}
