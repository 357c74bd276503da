/**
 * A declaration's name as a hostname (RFC 1123: letters, digits and '-'
 * in dot-separated labels that neither start nor end with '-'): every run
 * of other characters becomes '-'. Written with loops rather than
 * `/-+$/`-style patterns, which backtrack quadratically over a long run of
 * dashes in the middle of a name.
 */
export function toHostname(name: string): string {
  const dashed = name.replace(/[^A-Za-z0-9.-]+/g, "-");
  let start = 0;
  let end = dashed.length;
  while (start < end && dashed[start] === "-") start++;
  while (end > start && dashed[end - 1] === "-") end--;
  return dashed.slice(start, end).replace(/\.-|-\./g, ".") || "host";
}
