/**
 * The NBD service's NbdExportSource (src/services/nbd/) over the image
 * catalog: export `<image>` is the image's current version, `<image>@<version>`
 * a pinned one, as the client hook asks for it (bootfleet.nbd=IP:PORT/EXPORT).
 *
 * Each connection holds its own open root.squashfs, so a client keeps
 * reading the version it connected to after `image use` switches `current`
 * or the version is replaced; and the version is marked in use in the
 * catalog (acquire on open, release when the connection ends), so
 * `image rm` and pruning refuse it while the client runs. A machine's
 * copy-on-write layer holds the file it was opened with, so the version
 * stays in use while the layer waits for the machine's reconnect (a server
 * restart or a lost network must not let a prune take the client's image).
 *
 * A copy-on-write layer belongs to a machine, and which machine a client is
 * comes only from its address through `machineAt` (the identity module:
 * lease, fixed address, DHCP exchange seen in proxy mode). A client that
 * wants a layer when no machine is proven at its address is refused, so
 * nobody gets another machine's layer by asking from an address of its own.
 */
import {
  type NbdClientInfo,
  type NbdCowSetting,
  type NbdExportHandle,
  type NbdExportInfo,
  NbdExportRefused,
  type NbdExportSource,
} from "../services/nbd/nbd-export-source.js";
import { openFileExport } from "../services/nbd/file-export-handle.js";
import type { ImageCatalog } from "./image-catalog.js";
import { ImageError } from "./image-error.js";
import { parseExportName } from "./image-name.js";

export interface CatalogExportSourceOptions {
  /** What the empty export name ("default export") opens: an image name; default none. */
  readonly defaultExport?: string | undefined;
  /**
   * The machine proven at the client's address (ClientIdentity.machineAt),
   * null when none is: names the holder and the events, and owns the
   * copy-on-write layer. Default: none is ever proven.
   */
  readonly machineAt?: ((address: string) => string | null | Promise<string | null>) | undefined;
  /**
   * Copy-on-write for machine `mac` (its resolved `nbd.cow`); with mac
   * undefined, for a client no machine is proven at. Default none.
   */
  readonly cowFor?:
    | ((exportName: string, client: NbdClientInfo, mac: string | undefined) => NbdCowSetting | undefined)
    | undefined;
  /** Told of each refused client (copy-on-write wanted, no machine proven at its address). */
  readonly onRefused?: ((client: NbdClientInfo, exportName: string, reason: string) => void) | undefined;
}

const UNPROVEN =
  "copy-on-write layers are given only to a machine proven at its address " +
  "(a DHCP lease from this server, a fixed address in the config, or in proxy mode its DHCP exchange)";

export class CatalogExportSource implements NbdExportSource {
  readonly #catalog: ImageCatalog;
  readonly #o: CatalogExportSourceOptions;

  constructor(catalog: ImageCatalog, options: CatalogExportSourceOptions = {}) {
    this.#catalog = catalog;
    this.#o = options;
  }

  async open(name: string, client: NbdClientInfo): Promise<NbdExportHandle | null> {
    if (name === "") {
      if (this.#o.defaultExport === undefined) return null;
      name = this.#o.defaultExport;
    }
    let wanted: { image: string; version?: string | undefined };
    try {
      wanted = parseExportName(name);
    } catch (err) {
      if (err instanceof ImageError) return null;
      throw err;
    }
    const mac = (await this.#o.machineAt?.(client.address)) ?? undefined;
    // `current` can move, and the old version be removed, between resolving
    // it and opening the file: resolve again once.
    for (let attempt = 0; ; attempt++) {
      let paths: Awaited<ReturnType<ImageCatalog["resolve"]>>;
      try {
        paths = await this.#catalog.resolve(wanted.image, wanted.version);
      } catch (err) {
        if (err instanceof ImageError) return null;
        throw err;
      }
      const canonical = `${paths.name}@${paths.version}`;
      const cow = this.#o.cowFor?.(canonical, client, mac);
      if (cow && mac === undefined) {
        this.#o.onRefused?.(client, canonical, UNPROVEN);
        throw new NbdExportRefused(UNPROVEN);
      }
      const release = this.#catalog.acquire(
        paths.name,
        paths.version,
        mac ?? `${client.address}:${client.port}`,
      );
      try {
        return await openFileExport(paths.rootfs, {
          name: canonical,
          description: `${paths.name} version ${paths.version}`,
          readOnly: true,
          cow,
          mac,
          onRelease: release,
        });
      } catch (err) {
        release();
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        if (wanted.version !== undefined || attempt > 0) return null;
      }
    }
  }

  async list(): Promise<readonly NbdExportInfo[]> {
    const out: NbdExportInfo[] = [];
    for (const image of await this.#catalog.list()) {
      if (image.versions.length === 0) continue;
      const current = image.current ?? image.versions[image.versions.length - 1];
      out.push({ name: image.name, description: `${image.name} (current: ${current})` });
      for (const v of image.versions)
        out.push({ name: `${image.name}@${v}`, description: `${image.name} version ${v}` });
    }
    return out;
  }
}
