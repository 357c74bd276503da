/**
 * NBD exports over the image catalog: `<image>` is the current version when
 * the client connects, `<image>@<version>` a pinned one. The handle holds the
 * open root.squashfs, so a client keeps reading the version it connected to
 * after `image use` switches (LTSP issue #132), and the catalog counts the
 * version in use until the connection ends (`image rm` refuses it).
 * Copy-on-write comes from the client's resolved config (`nbd.cow`), the
 * machine found by its address.
 */
import type { Resolver } from "../config/model.js";
import { type ImageCatalog, ROOTFS_FILE } from "../images/image-catalog.js";
import { parseExportName } from "../images/image-name.js";
import type {
  NbdClientInfo,
  NbdExportHandle,
  NbdExportInfo,
  NbdExportSource,
} from "../services/nbd/nbd-export-source.js";
import { openFileExport } from "../services/nbd/file-export-handle.js";
import type { Store } from "../store/store.js";
import { macForAddress } from "./mac-for-address.js";

export class CatalogExportSource implements NbdExportSource {
  readonly #catalog: ImageCatalog;
  readonly #resolver: Resolver;
  readonly #store: Store;

  constructor(catalog: ImageCatalog, resolver: Resolver, store: Store) {
    this.#catalog = catalog;
    this.#resolver = resolver;
    this.#store = store;
  }

  async open(name: string, client: NbdClientInfo): Promise<NbdExportHandle | null> {
    let parsed: ReturnType<typeof parseExportName>;
    try {
      parsed = parseExportName(name);
    } catch {
      return null;
    }
    let paths: Awaited<ReturnType<ImageCatalog["resolve"]>>;
    try {
      paths = await this.#catalog.resolve(parsed.image, parsed.version);
    } catch {
      return null;
    }
    const mac = await this.#macFor(client.address);
    const machine = mac ? this.#resolver.resolve({ mac, ip: client.address }) : undefined;
    const cow = machine?.nbd.cow.value
      ? { keepKey: machine.nbd.cow_keep.value ? machine.mac : undefined }
      : undefined;
    const holder = `${client.address}:${client.port}`;
    const release = this.#catalog.acquire(paths.name, paths.version, holder);
    try {
      return await openFileExport(paths.rootfs, {
        name: `${paths.name}@${paths.version}`,
        description: `${paths.name} version ${paths.version}`,
        readOnly: true,
        cow,
        mac: mac ?? undefined,
        onRelease: release,
      });
    } catch {
      release();
      return null;
    }
  }

  async list(): Promise<readonly NbdExportInfo[]> {
    const out: NbdExportInfo[] = [];
    for (const s of await this.#catalog.list()) {
      if (s.current) out.push({ name: s.name, description: `${s.name} (current: ${s.current})` });
      for (const v of s.versions)
        out.push({ name: `${s.name}@${v}`, description: `${s.name} version ${v} (${ROOTFS_FILE})` });
    }
    return out;
  }

  #macFor(ip: string): Promise<string | null> {
    return macForAddress(this.#store, this.#resolver, ip);
  }
}
