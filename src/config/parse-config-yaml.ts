/**
 * The first step of loading: YAML text to plain data, keeping each node's
 * position so that later steps can say file:line:column. Syntax errors
 * (and a key written twice in one mapping) stop here, all of them at once.
 */
import { LineCounter, parseDocument } from "yaml";
import { type ConfigProblem, ConfigError } from "./config-error.js";
import { SourceMap } from "./source-map.js";

export interface ParsedConfig {
  /** The document as plain objects, arrays and scalars; an empty file is `{}`. */
  readonly data: unknown;
  readonly map: SourceMap;
}

export function parseConfigYaml(text: string, file: string): ParsedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const map = new SourceMap(file, doc, lines);
  const problems: ConfigProblem[] = doc.errors.map((e) => ({
    at: map.at(e.pos[0]),
    path: "",
    message: `YAML syntax: ${e.message.split("\n")[0]}`,
    hint:
      e.code === "DUPLICATE_KEY" ? "each key may appear once in a mapping" : "check indentation and quoting",
  }));
  if (problems.length) throw new ConfigError(problems);
  return { data: doc.toJS() ?? {}, map };
}
