/**
 * Freezes an object and everything it holds, so no part of the server can
 * change the config another part reads. File contents (Buffers) cannot be
 * frozen and are left as they are.
 */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o) && !Buffer.isBuffer(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
