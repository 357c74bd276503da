/**
 * The object without its undefined fields: a loaded config holds only the
 * keys that were written in the file or have a default.
 */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
