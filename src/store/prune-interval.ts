/**
 * How many inserts go by between two retention passes of an SQL backend.
 * Pruning on every insert would cost an index walk of `cap` entries per log
 * line; every tenth of the cap bounds the overshoot to about 10% while the
 * cost per line stays constant.
 */
export function pruneInterval(cap: number): number {
  return Math.max(1, Math.min(1000, Math.ceil(cap / 10)));
}
