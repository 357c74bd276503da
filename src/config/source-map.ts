/**
 * Maps a key path in a parsed YAML document back to file:line:column, so
 * that schema and semantic errors point at what the administrator wrote.
 */
import { isMap, isPair, isScalar, isSeq, type LineCounter, type Document, type Node } from "yaml";
import type { SourceLocation } from "./model.js";

export type KeyPath = readonly (string | number)[];

export class SourceMap {
  readonly #doc: Document;
  readonly #lines: LineCounter;
  readonly #file: string;

  constructor(file: string, doc: Document, lines: LineCounter) {
    this.#file = file;
    this.#doc = doc;
    this.#lines = lines;
  }

  get file(): string {
    return this.#file;
  }

  at(offset: number): SourceLocation {
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.#file, line, column: col };
  }

  /**
   * Location of the value at `path` (or of its key when `key` is set, e.g.
   * for an unknown key). Falls back to the nearest ancestor that exists.
   */
  locate(path: KeyPath, key = false): SourceLocation {
    let node: Node | null | undefined = this.#doc.contents as Node | null;
    let offset = node?.range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
        if (!pair) break;
        const keyNode = pair.key as Node;
        if (last && key) return this.at(keyNode.range?.[0] ?? offset);
        const value = pair.value as Node | null;
        if (!value?.range) return this.at(keyNode.range?.[0] ?? offset);
        node = value;
        offset = value.range[0];
      } else if (isSeq(node) && typeof seg === "number") {
        const item = node.items[seg] as Node | undefined;
        if (!item?.range) break;
        node = item;
        offset = item.range[0];
      } else break;
    }
    return this.at(offset);
  }
}

export function pathText(path: KeyPath): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : p))
    .join(".")
    .replaceAll(".[", "[");
}
