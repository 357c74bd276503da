/**
 * The second step of loading: the data against the one schema
 * (config-schema.ts), which types it and fills in defaults. Each schema
 * issue becomes a problem at the key's line and column, in words an
 * administrator can act on, with a "did you mean" for unknown keys.
 */
import type { z } from "zod";
import { type ConfigProblem, ConfigError, didYouMean } from "./config-error.js";
import { configSchema, knownKeys, type RawConfig } from "./config-schema.js";
import { type KeyPath, pathText, type SourceMap } from "./source-map.js";

export function validateSchema(data: unknown, map: SourceMap): RawConfig {
  const parsed = configSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.flatMap((issue) => schemaProblems(issue, map)));
}

function schemaProblems(issue: z.core.$ZodIssue, map: SourceMap): ConfigProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const guess = didYouMean(key, knownKeys);
      return {
        at: map.locate([...path, key], true),
        path: pathText([...path, key]),
        message: `unknown key '${key}'`,
        hint: guess ? `did you mean '${guess}'?` : "remove it, or see the config reference in README.md",
      };
    });
  }
  let message = issue.message;
  let hint: string | undefined;
  if (issue.code === "invalid_type") {
    message = `expected ${issue.expected}`;
    if (issue.expected === "number") hint = "write a plain number without quotes";
    if (issue.expected === "boolean") hint = "write true or false";
  } else if (issue.code === "invalid_value" && "values" in issue) {
    message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  } else if (issue.code === "invalid_union") {
    message = "has the wrong shape";
    hint = unionHint(path);
  } else if (issue.code === "too_small" || issue.code === "too_big") {
    message = issue.message.replace(/^Too (small|big): expected (\w+) to have /, "must have ");
  }
  return [{ at: map.locate(path), path: pathText(path), message, hint }];
}

/** What the value should look like, where the schema allows several shapes. */
function unionHint(path: KeyPath): string | undefined {
  const top = path[0];
  // One file or setting of a layer (…files.<path>, …settings.<KEY>), also inside a host or group.
  const parent = path[path.length - 2];
  if (parent === "files") return "a file is a string (its content) or { content | source, mode, secret }";
  if (parent === "settings") return "a setting is a value, or { value, secret: true }";
  if (top === "groups" || top === "hosts" || top === "addresses")
    return "each entry is a mapping of keys (image, settings, files, ...)";
  if (top === "images")
    return "an image is a mapping (version, kernel_args, description, nbd, root) or empty; `keep` is a number";
  return "a single value or a list of values";
}
