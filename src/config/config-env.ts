/**
 * What the loader takes from the environment, read in this one place:
 * only the API token, so that a secret need not be written into a config
 * file that is often kept in version control. The environment is handed in
 * (process.env by default), so tests pass a plain object.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

export interface ConfigEnv {
  /** BOOTFLEET_API_TOKEN; used when the config sets no `services.api.token`. Empty is unset. */
  readonly apiToken?: string | undefined;
}

export function readConfigEnv(env: Environment): ConfigEnv {
  return { apiToken: env.BOOTFLEET_API_TOKEN || undefined };
}
