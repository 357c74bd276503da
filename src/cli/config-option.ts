/**
 * Where the config comes from: -c FILE, else $BOOTFLEET_CONFIG, else
 * ./bootfleet.yaml, else /etc/bootfleet/bootfleet.yaml.
 */
import { existsSync } from "node:fs";
import { loadConfig } from "../config/load-config.js";
import type { FleetConfig } from "../config/model.js";

export function configPath(explicit: string | undefined): string {
  if (explicit) return explicit;
  if (process.env.BOOTFLEET_CONFIG) return process.env.BOOTFLEET_CONFIG;
  for (const p of ["bootfleet.yaml", "/etc/bootfleet/bootfleet.yaml"]) if (existsSync(p)) return p;
  return "bootfleet.yaml";
}

/** Loads and validates the config (images already in <data_dir>/images count as existing). */
export function loadFleetConfig(explicit: string | undefined): Promise<FleetConfig> {
  return loadConfig(configPath(explicit));
}
