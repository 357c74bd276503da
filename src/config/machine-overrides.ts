/**
 * Values set for one machine through the API (`PUT /api/v1/machines/<id>/image`)
 * rather than in the config file. The resolver reads them synchronously on
 * every DHCP answer, so they live in memory; the store keeps them across
 * restarts and the server loads them into a MachineOverrides at start.
 */

export interface MachineOverride {
  readonly image: string;
  /** Milliseconds since the epoch. */
  readonly setAt: number;
  /** Who set it, as the API recorded it. */
  readonly setBy: string;
}

/** What the resolver asks: the override for a normalised MAC, if any. */
export interface MachineOverrideSource {
  get(mac: string): MachineOverride | undefined;
}

/** The in-memory map the server keeps in step with the store. */
export class MachineOverrides implements MachineOverrideSource {
  readonly #byMac = new Map<string, MachineOverride>();

  constructor(rows: Iterable<MachineOverride & { readonly mac: string }> = []) {
    for (const r of rows) this.set(r.mac, r);
  }

  get(mac: string): MachineOverride | undefined {
    return this.#byMac.get(mac);
  }

  /** Sets the machine's override; undefined removes it. */
  set(mac: string, override: MachineOverride | undefined): void {
    if (override === undefined) this.#byMac.delete(mac);
    else
      this.#byMac.set(
        mac,
        Object.freeze({ image: override.image, setAt: override.setAt, setBy: override.setBy }),
      );
  }

  get size(): number {
    return this.#byMac.size;
  }
}

/** The origin name `bootfleet explain` and the admin page show for an override. */
export function overrideOriginName(o: MachineOverride): string {
  return `set via API by ${o.setBy} at ${new Date(o.setAt).toISOString()}`;
}
