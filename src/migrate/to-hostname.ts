/**
 * A declaration's name as a hostname (RFC 1123: dot-separated labels of
 * letters, digits and '-', none empty, none starting or ending with '-'),
 * as `bootfleet check` wants it: every run of other characters becomes
 * '-', and empty labels (a trailing dot, "a..b") are dropped. Written with
 * loops rather than `/-+$/`-style patterns, which backtrack quadratically
 * over a long run of dashes in the middle of a name.
 */
export function toHostname(name: string): string {
  const labels: string[] = [];
  for (const part of name.split(".")) {
    const label = trimDashes(part.replace(/[^A-Za-z0-9-]+/g, "-"));
    if (label !== "") labels.push(label);
  }
  return labels.join(".") || "host";
}

function trimDashes(label: string): string {
  let start = 0;
  let end = label.length;
  while (start < end && label[start] === "-") start++;
  while (end > start && label[end - 1] === "-") end--;
  return label.slice(start, end);
}
