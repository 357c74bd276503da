/**
 * A list for a message that is repeated per host or per statement: the
 * first few items and how many there are. A note naming every network of
 * a file, written once per host, grows with hosts times networks.
 */
export function briefList(items: readonly string[], shown = 8): string {
  if (items.length <= shown) return items.join(", ");
  return `${items.slice(0, shown).join(", ")}, ... (${items.length} in all)`;
}
