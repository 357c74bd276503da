/**
 * A tiny DOM builder: element("td", { class: "num" }, "12"). Children may be
 * strings, numbers, nodes, arrays or null/false (skipped). Text goes in as
 * text nodes, never as HTML, so names and log lines from machines cannot
 * inject markup.
 */
const SVG_NS = "http://www.w3.org/2000/svg";

export function element(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

export function svgElement(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "value" && "value" in node) node.value = value;
    else if (name === "checked" && "checked" in node) node.checked = Boolean(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (typeof child === "string" || typeof child === "number") node.append(String(child));
    else node.append(child);
  }
}

/**
 * A scrollable table with a header row: dataTable({ id: "leases-table" }, ["IP", "MAC"], tbody).
 * `headers` items are column titles or [title, attrs] (e.g. ["Size", { class: "num" }]);
 * `caption` is an optional caption text.
 */
export function dataTable(attrs, headers, tbody, caption) {
  return element(
    "div",
    { class: "table-wrap" },
    element(
      "table",
      attrs,
      caption ? element("caption", { class: "muted table-caption" }, caption) : null,
      element(
        "thead",
        {},
        element(
          "tr",
          {},
          headers.map((h) =>
            Array.isArray(h)
              ? element("th", { scope: "col", ...h[1] }, h[0])
              : element("th", { scope: "col" }, h),
          ),
        ),
      ),
      tbody,
    ),
  );
}
