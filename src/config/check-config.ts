/**
 * The checks that need more than one value at a time, run on the config
 * the schema has typed and filled with defaults: each is its own function
 * reporting located problems, and all of them run before any problem is
 * thrown, so `bootfleet check` lists everything at once.
 */
import { resolve } from "node:path";
import { checkAddressLayers } from "./check-address-layers.js";
import type { CheckContext, LayerContext } from "./check-context.js";
import { checkGroupMembers, checkGroups } from "./check-groups.js";
import { checkHa } from "./check-ha.js";
import { checkHosts } from "./check-hosts.js";
import { checkImages } from "./check-images.js";
import { checkLayer } from "./check-layer.js";
import { checkNetworks, withNetworkTrees } from "./check-networks.js";
import { checkServer } from "./check-server.js";
import { checkServices, checkStore } from "./check-services.js";
import type { ConfigDisk } from "./config-disk.js";
import type { ConfigEnv } from "./config-env.js";
import { ConfigProblems } from "./config-problems.js";
import type { RawConfig } from "./config-schema.js";
import { ImageNames, type ImageNamesOptions } from "./image-names.js";
import { readLayerTree, withTreeFiles } from "./layer-tree.js";
import type { FleetConfig } from "./model.js";
import type { SourceMap } from "./source-map.js";

export interface CheckInputs {
  readonly map: SourceMap;
  /** The config file's folder: relative paths in the config start here. */
  readonly dir: string;
  readonly disk: ConfigDisk;
  readonly env: ConfigEnv;
  readonly imageNames: ImageNamesOptions;
}

/** The checked config, not frozen yet; throws a ConfigError with every problem found. */
export function checkConfig(raw: RawConfig, inputs: CheckInputs): FleetConfig {
  const { map, dir, disk } = inputs;
  const problems = new ConfigProblems(map);
  const base: CheckContext = { map, problems, dir, disk };

  // Problems are sorted by line and column at the end; those at the same
  // place (every layers/ file is at 1:1) stay in the order of these steps.
  const server = checkServer(raw.server, base);
  const { images, keep } = checkImages(raw.images, base);
  const ctx: LayerContext = {
    ...base,
    images: new ImageNames(Object.keys(images), server.data_dir, inputs.imageNames, base),
  };
  const networks = checkNetworks(raw.networks, ctx);
  const tree = readLayerTree(raw.layers, dir, problems, disk);
  const groups = checkGroups(raw.groups, tree, ctx);
  const hosts = checkHosts(raw.hosts, networks, groups, tree, ctx);
  checkGroupMembers(groups, raw.hosts, ctx);
  const addresses = checkAddressLayers(raw.addresses, networks, tree, ctx);
  const networksWithTrees = withNetworkTrees(networks, tree, problems);
  const store = checkStore(raw.store, base);
  const ha = checkHa(raw.ha, store, base);
  const services = checkServices(raw.services, networks, server.data_dir, inputs.env, base);
  const defaults = {
    ...withTreeFiles(checkLayer(ctx, raw.defaults, ["defaults"]), tree.base),
    at: map.locate(["defaults"], true),
  };
  problems.throwIfAny();

  return {
    file: resolve(map.file),
    server,
    services,
    store,
    ...(ha ? { ha } : {}),
    events: raw.events,
    images,
    images_keep: keep,
    networks: networksWithTrees,
    defaults,
    groups,
    hosts,
    addresses,
    layers_dir: tree.root,
  };
}
