/**
 * Loads bootfleet.yaml, in steps: YAML with source positions
 * (parse-config-yaml.ts) -> the schema, for types and defaults
 * (validate-schema.ts) -> the checks across values (check-config.ts) -> a
 * frozen FleetConfig. Every problem a step finds is reported at once, each
 * with file:line:column, the key path and a hint; the config is validated
 * once, at start, and nothing changes it afterwards.
 *
 * The disk (the config file, files it names, the layers/ tree, the image
 * store's folder) and the environment are handed in, so tests give fakes.
 */
import { dirname, resolve } from "node:path";
import { checkConfig } from "./check-config.js";
import { type ConfigDisk, nodeConfigDisk } from "./config-disk.js";
import { type Environment, readConfigEnv } from "./config-env.js";
import { ConfigError } from "./config-error.js";
import { deepFreeze } from "./deep-freeze.js";
import type { FleetConfig } from "./model.js";
import { parseConfigYaml } from "./parse-config-yaml.js";
import { validateSchema } from "./validate-schema.js";

export interface LoadOptions {
  /** Image names that exist in the image store (besides those declared in `images:`). */
  readonly existingImages?: readonly string[] | undefined;
  /** Skip the check that referenced images exist (for `import` previews). */
  readonly skipImageCheck?: boolean | undefined;
  /** Where files are read; default the real disk. */
  readonly disk?: ConfigDisk | undefined;
  /** Where BOOTFLEET_API_TOKEN is read; default process.env. */
  readonly env?: Environment | undefined;
}

export async function loadConfig(file: string, options: LoadOptions = {}): Promise<FleetConfig> {
  const text = readConfigFile(file, options.disk ?? nodeConfigDisk);
  return loadConfigFromString(text, file, options);
}

export function loadConfigFromString(text: string, file: string, options: LoadOptions = {}): FleetConfig {
  const { data, map } = parseConfigYaml(text, file);
  const raw = validateSchema(data, map);
  const config = checkConfig(raw, {
    map,
    dir: dirname(resolve(file)),
    disk: options.disk ?? nodeConfigDisk,
    env: readConfigEnv(options.env ?? process.env),
    imageNames: { existing: options.existingImages, skipCheck: options.skipImageCheck },
  });
  return deepFreeze(config);
}

/** Errors name the file as the user wrote it, like a compiler does. */
function readConfigFile(file: string, disk: ConfigDisk): string {
  try {
    return disk.readFile(resolve(file)).toString("utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError([
      {
        at: { file, line: 1, column: 1 },
        path: "",
        message: err.code === "ENOENT" ? "config file not found" : `cannot read config file: ${err.message}`,
        hint:
          err.code === "ENOENT"
            ? "pass the file with -c FILE, or start from examples/bootfleet.yaml"
            : "check the file's permissions",
      },
    ]);
  }
}
