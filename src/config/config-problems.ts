/**
 * Every problem the checks find, collected so that `bootfleet check` shows
 * all of them at once rather than the first, in the order of the file.
 */
import { type ConfigProblem, ConfigError } from "./config-error.js";
import { type KeyPath, pathText, type SourceMap } from "./source-map.js";

export class ConfigProblems {
  readonly #map: SourceMap;
  readonly #list: ConfigProblem[] = [];

  constructor(map: SourceMap) {
    this.#map = map;
  }

  /** A problem with the value at `path` in the YAML (with `key`: with the key itself, e.g. a bad name). */
  report(path: KeyPath, message: string, hint?: string, key = false): void {
    this.#list.push({ at: this.#map.locate(path, key), path: pathText(path), message, hint });
  }

  /** A problem located elsewhere: a file in the layers/ tree. */
  add(problem: ConfigProblem): void {
    this.#list.push(problem);
  }

  /** Throws them all, by line and column, when there are any. */
  throwIfAny(): void {
    if (this.#list.length) throw new ConfigError([...this.#list].sort(byPosition));
  }
}

function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  return a.at.line - b.at.line || a.at.column - b.at.column;
}
