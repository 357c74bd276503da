/**
 * The machine's effective config (GET /machines/<id>/config) as flat rows
 * for the `explain` table: key, value, layer, and file:line:column. Leaves in
 * the API's answer are `{ value, origin }`; files carry `origin` beside their
 * content. Secret settings and files carry `secret: true`, and `redacted:
 * true` when the server hid them for want of the token.
 */

export function configRows(config) {
  const rows = [];
  const walk = (key, v) => {
    if (v === null || v === undefined) return;
    if (typeof v === "object" && "origin" in v && v.origin && typeof v.origin === "object") {
      rows.push({
        key,
        value: describe(v),
        origin: v.origin,
        secret: v.secret === true,
        redacted: v.redacted === true,
      });
      return;
    }
    if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(`${key}[${i}]`, x);
      return;
    }
    if (typeof v === "object") for (const [k, x] of Object.entries(v)) walk(key ? `${key}.${k}` : k, x);
  };
  for (const key of [
    "image",
    "boot_unknown",
    "loader",
    "console",
    "menu",
    "kernel_args",
    "root",
    "nbd",
    "dhcp",
    "settings",
    "files",
  ])
    walk(key, config?.[key]);
  return rows;
}

/** What a hidden value reads; the API sends the same words. */
export const REDACTED = "(secret)";

function describe(v) {
  if (v.redacted) return v.mode ? `${REDACTED} (mode ${v.mode})` : REDACTED;
  if ("value" in v) {
    const x = v.value;
    if (typeof x === "string") return x;
    if (Array.isArray(x) && x.every((e) => typeof e !== "object")) return x.join(", ");
    return JSON.stringify(x);
  }
  // A file: its text when short, else its size; always its mode.
  const mode = v.mode ? ` (mode ${v.mode})` : "";
  if (typeof v.content === "string" && v.content.length <= 80 && !v.truncated)
    return `${JSON.stringify(v.content)}${mode}`;
  return `${v.size ?? "?"} bytes${mode}`;
}

/** "file:line:column" of an origin, or "" for built-in defaults. */
export function originAt(origin) {
  if (!origin?.file) return "";
  return `${origin.file}${origin.line ? `:${origin.line}` : ""}${origin.column ? `:${origin.column}` : ""}`;
}

/** The file name with its folder, enough to tell fleet.yaml from layers/hosts/x/etc/motd. */
export function shortFile(at) {
  const parts = at.split("/");
  return parts.length > 2 ? parts.slice(-2).join("/") : at;
}
