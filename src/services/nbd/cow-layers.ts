/**
 * Hands out copy-on-write layers to connections, and keeps a running
 * machine's layer while it has no connection.
 *
 * - A layer without an owner (no machine known for the client) belongs to
 *   one connection and is gone when it ends.
 * - A machine's layer (`holdKey`, `nbd.cow`) is held after its last
 *   connection ends: a client whose server restarted, crashed or was
 *   upgraded reconnects to the same export and must find every write it was
 *   told was done (its root filesystem sits on top). It is removed when the
 *   machine boots again (a new boot starts from the image), or when it is
 *   not reclaimed within the hold time (`services.nbd.cow_hold_seconds`),
 *   with an `nbd.cow_removed` event either way. Held layers are files, so
 *   they outlive the server process: `recover()` finds them at start.
 * - A kept layer (`keepKey`, `nbd.cow_keep`) stays until its image version
 *   is removed.
 *
 * A machine's layer (held or kept) is shared by every connection of that
 * machine to that export version, so two connections (a client with several
 * sockets, or a reconnect racing the old socket's close) see one set of
 * writes instead of overwriting each other's file.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { type Clock, type EventBus, systemClock } from "../../events/event-bus.js";
import type { Logger } from "../../logging/logger.js";
import { CowOverlay } from "./cow-overlay.js";
import type { NbdExportHandle } from "./nbd-export-source.js";

export interface CowLease {
  readonly overlay: CowOverlay;
  /** True when the layer is a machine's (held or kept): every connection of it sees the same writes. */
  readonly shared: boolean;
  /** Drops this connection's use; the last one holds, closes or removes the layer. */
  release(): Promise<void>;
}

export interface CowLayersOptions {
  /** Where layers live (`<data_dir>/nbd-cow`): `<export>/<owner>.cow` kept, `<export>/<owner>.held.cow` held. */
  readonly dir: string;
  /** How long a machine's layer is held after its last connection ends, in ms; 0 removes it at once. */
  readonly holdMs: number;
  readonly bus: Pick<EventBus, "publish">;
  readonly log: Logger;
  readonly clock?: Clock | undefined;
}

interface Layer {
  readonly path: string;
  readonly exportName: string;
  /** The key it was asked for (a MAC); for a layer found on disk, read back from its file name. */
  readonly owner: string;
  readonly keep: boolean;
  refs: number;
  /** Open in this process: the overlay and the base it reads from (released with the layer). */
  opened?: { readonly ready: Promise<CowOverlay>; readonly base: NbdExportHandle } | undefined;
  /** Since when no connection uses it (clock ms), while held. */
  heldSince?: number | undefined;
  timer?: NodeJS.Timeout | undefined;
  /** Removed (the machine booted again) while a connection still used it: closed at the last release. */
  retired?: boolean | undefined;
}

const HELD_SUFFIX = ".held.cow";

/** A file name part from an export name or a MAC/IP key: no separators, no leading dot. */
function safePart(s: string): string {
  const out = s.replace(/[^A-Za-z0-9._@-]/g, "-").replace(/^\.+/, "_");
  return out === "" ? "_" : out;
}

/** The owner of a layer found on disk: a MAC written with dashes is a MAC again. */
function ownerFromFile(stem: string): string {
  return /^([0-9a-f]{2}-){5}[0-9a-f]{2}$/i.test(stem) ? stem.replace(/-/g, ":") : stem;
}

export class CowLayers {
  readonly #dir: string;
  readonly #holdMs: number;
  readonly #bus: Pick<EventBus, "publish">;
  readonly #log: Logger;
  readonly #clock: Clock;
  /** Machines' layers by path: open ones, held ones (open or found on disk). */
  readonly #layers = new Map<string, Layer>();
  /** Layers being closed or removed: a new connection waits for that before opening the file again. */
  readonly #busy = new Map<string, Promise<void>>();

  constructor(options: CowLayersOptions) {
    this.#dir = options.dir;
    this.#holdMs = Math.max(0, options.holdMs);
    this.#bus = options.bus;
    this.#log = options.log;
    this.#clock = options.clock ?? systemClock;
  }

  /** Where the kept layer for this export and key lives. */
  keptPath(exportName: string, keepKey: string): string {
    return join(this.#dir, safePart(exportName), `${safePart(keepKey)}.cow`);
  }

  /** Where a machine's held layer for this export lives. */
  heldPath(exportName: string, holdKey: string): string {
    return join(this.#dir, safePart(exportName), `${safePart(holdKey)}${HELD_SUFFIX}`);
  }

  /** Machines' layers held now (no connection uses them): export and owner. */
  held(): { readonly exportName: string; readonly owner: string }[] {
    return [...this.#layers.values()]
      .filter((l) => l.refs === 0 && !l.keep)
      .map((l) => ({ exportName: l.exportName, owner: l.owner }));
  }

  /**
   * Held layers a previous run left on disk (the server was restarted,
   * upgraded or killed while its clients ran): held again, from now, for
   * the hold time, so their machines can reclaim them when they reconnect.
   */
  async recover(): Promise<number> {
    let exports: string[];
    try {
      exports = await readdir(this.#dir);
    } catch {
      return 0;
    }
    let found = 0;
    for (const exportName of exports) {
      if (exportName.startsWith(".")) continue;
      let files: string[];
      try {
        files = await readdir(join(this.#dir, exportName));
      } catch {
        continue;
      }
      for (const f of files) {
        if (!f.endsWith(HELD_SUFFIX)) continue;
        const path = join(this.#dir, exportName, f);
        if (this.#layers.has(path)) continue;
        const layer: Layer = {
          path,
          exportName,
          owner: ownerFromFile(f.slice(0, -HELD_SUFFIX.length)),
          keep: false,
          refs: 0,
        };
        this.#layers.set(path, layer);
        this.#hold(layer);
        found++;
      }
    }
    if (found > 0)
      this.#log.info(
        { layers: found, hold_s: this.#holdMs / 1000 },
        "nbd: copy-on-write layers of running machines held for their reconnect",
      );
    return found;
  }

  /**
   * A layer over `handle` for one connection. The lease owns `handle` from
   * here on: it is released with the layer (for a machine's layer that is
   * open already, at once).
   */
  async acquire(handle: NbdExportHandle): Promise<CowLease> {
    const keepKey = handle.cow?.keepKey;
    const owner = keepKey ?? handle.cow?.holdKey;
    if (owner === undefined) return this.#private(handle);

    const keep = keepKey !== undefined;
    const path = keep ? this.keptPath(handle.name, owner) : this.heldPath(handle.name, owner);
    for (let busy = this.#busy.get(path); busy; busy = this.#busy.get(path)) await busy;
    let layer = this.#layers.get(path);
    if (!layer) {
      layer = { path, exportName: handle.name, owner, keep, refs: 0 };
      this.#layers.set(path, layer);
    }
    layer.refs++;
    this.#reclaim(layer);
    if (layer.opened) {
      // The layer reads from the base it was opened with; this connection's
      // own handle to the same version is not needed.
      await handle.release();
    } else {
      const opening = layer;
      const ready = mkdir(join(this.#dir, safePart(handle.name)), { recursive: true }).then(() =>
        CowOverlay.open(handle, { path, persistent: true }),
      );
      opening.opened = { ready, base: handle };
      ready.catch(() => {
        if (this.#layers.get(path) === opening) this.#layers.delete(path);
        void handle.release();
      });
    }
    const overlay = await layer.opened!.ready;
    const current = layer;
    let released = false;
    return {
      overlay,
      shared: true,
      release: async () => {
        if (released) return;
        released = true;
        await this.#release(current);
      },
    };
  }

  /**
   * The machine `mac` starts a new boot (it fetched its kernel, or its hook
   * reported the initrd stage): a new boot starts from the image, so its
   * held layers are removed; one a connection still uses (the old boot's
   * socket not closed yet) is taken out of reach of new connections at once.
   */
  machineBooted(mac: string): void {
    const stem = safePart(mac);
    for (const layer of [...this.#layers.values()]) {
      if (layer.keep || safePart(layer.owner) !== stem) continue;
      if (layer.refs === 0) {
        void this.#remove(layer, "the machine booted again");
        continue;
      }
      this.#layers.delete(layer.path);
      layer.retired = true;
      void unlinkLayer(layer.path);
      this.#removed(layer, "the machine booted again");
    }
  }

  /**
   * The service stops: held layers are closed but stay on disk (the next
   * start recovers them); timers are cleared. Connections have ended first.
   */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const layer of this.#layers.values()) {
      clearTimeout(layer.timer);
      layer.timer = undefined;
      if (layer.refs === 0 && layer.opened) closing.push(this.#closeFiles(layer));
    }
    this.#layers.clear();
    await Promise.all([...closing, ...this.#busy.values()]);
  }

  async #private(handle: NbdExportHandle): Promise<CowLease> {
    await mkdir(this.#dir, { recursive: true });
    const path = join(this.#dir, `.discard-${process.pid}-${randomBytes(6).toString("hex")}.cow`);
    let overlay: CowOverlay;
    try {
      overlay = await CowOverlay.open(handle, { path, persistent: false });
    } catch (err) {
      await handle.release();
      throw err;
    }
    return {
      overlay,
      shared: false,
      release: async () => {
        try {
          await overlay.close();
        } finally {
          await handle.release();
        }
      },
    };
  }

  async #release(layer: Layer): Promise<void> {
    if (--layer.refs > 0) return;
    if (layer.retired) {
      await this.#closeFiles(layer);
      return;
    }
    if (this.#layers.get(layer.path) !== layer) return;
    if (layer.keep) {
      this.#layers.delete(layer.path);
      await this.#track(layer.path, this.#closeFiles(layer));
      return;
    }
    if (this.#holdMs === 0) {
      await this.#remove(layer, "cow_hold_seconds is 0");
      return;
    }
    this.#hold(layer);
    this.#log.info(
      { export: layer.exportName, mac: layer.owner, hold_s: this.#holdMs / 1000 },
      "nbd: copy-on-write layer held for the machine's reconnect",
    );
  }

  #hold(layer: Layer): void {
    layer.heldSince = this.#clock.now();
    clearTimeout(layer.timer);
    layer.timer = setTimeout(
      () => void this.#remove(layer, `not reclaimed within ${this.#holdMs / 1000} s`),
      this.#holdMs,
    );
    layer.timer.unref();
  }

  #reclaim(layer: Layer): void {
    clearTimeout(layer.timer);
    layer.timer = undefined;
    if (layer.heldSince === undefined) return;
    const heldMs = this.#clock.now() - layer.heldSince;
    layer.heldSince = undefined;
    this.#log.info(
      { export: layer.exportName, mac: layer.owner, held_ms: heldMs },
      "nbd: copy-on-write layer reclaimed",
    );
    this.#bus.publish({
      type: "nbd.cow_reclaimed",
      mac: layer.owner,
      detail: { export: layer.exportName, held_ms: heldMs },
    });
  }

  /** Takes a layer no connection uses out of the table, closes it and deletes its files. */
  async #remove(layer: Layer, reason: string): Promise<void> {
    if (this.#layers.get(layer.path) !== layer || layer.refs > 0) return;
    this.#layers.delete(layer.path);
    clearTimeout(layer.timer);
    const removing = this.#closeFiles(layer).finally(() => unlinkLayer(layer.path));
    await this.#track(layer.path, removing);
    this.#removed(layer, reason);
  }

  #removed(layer: Layer, reason: string): void {
    this.#log.info(
      { export: layer.exportName, mac: layer.owner, reason },
      "nbd: copy-on-write layer removed",
    );
    this.#bus.publish({
      type: "nbd.cow_removed",
      mac: layer.owner,
      detail: { export: layer.exportName, reason },
    });
  }

  /** Closes the overlay (durable first) and releases the base it read from. */
  async #closeFiles(layer: Layer): Promise<void> {
    const opened = layer.opened;
    layer.opened = undefined;
    if (!opened) return;
    const overlay = await opened.ready.catch(() => null);
    if (!overlay) return; // a failed open released the base already
    try {
      await overlay.close();
    } catch (err) {
      this.#log.error(
        { export: layer.exportName, err: (err as Error).message },
        "nbd: closing a copy-on-write layer failed",
      );
    } finally {
      await opened.base.release();
    }
  }

  async #track(path: string, work: Promise<void>): Promise<void> {
    const done = work.catch(() => {});
    this.#busy.set(path, done);
    try {
      await work;
    } finally {
      if (this.#busy.get(path) === done) this.#busy.delete(path);
    }
  }
}

async function unlinkLayer(path: string): Promise<void> {
  for (const p of [path, `${path}.map`]) await unlink(p).catch(() => {});
}
