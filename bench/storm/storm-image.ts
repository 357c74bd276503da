/**
 * The image every storm machine boots, and the one its read trace was
 * recorded from: `busybox` (the whole-boot tests' busybox image on Debian's
 * kernel, the hook's boot path with a tiny userland) or `debian` (a Debian
 * 12 system with systemd as init, as the systemd whole-boot test builds it;
 * a real morning's NBD reads). Both stacks serve the same files: the
 * version folder's vmlinuz and initrd.img over HTTP, its root.squashfs over
 * NBD.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The name both stacks serve the image under (the export of `bootfleet.nbd=`). */
export const STORM_IMAGE = "storm";

export type StormImageKind = "busybox" | "debian";

export interface StormImage {
  readonly kind: StormImageKind;
  readonly dataDir: string;
  readonly name: string;
  readonly version: string;
  /** `<dataDir>/images/<name>/<version>`: vmlinuz, initrd.img, root.squashfs. */
  readonly dir: string;
  /** What it is built from, for the trace's `source`. */
  readonly description: string;
}

export interface StormImageChoice {
  readonly kind: StormImageKind;
  /** The committed trace recorded from this image, the bench's default `--trace`. */
  readonly trace: string;
  /** What the serial console shows when the recorded boot has finished. */
  readonly bootDone: RegExp;
  /** How far the recording goes, in the trace's `source`. */
  readonly until: string;
}

const traces = fileURLToPath(new URL("./traces/", import.meta.url));

const CHOICES: Readonly<Record<StormImageKind, StormImageChoice>> = {
  busybox: {
    kind: "busybox",
    trace: join(traces, "busybox-boot.json.gz"),
    // The busybox image's init prints it as its last line.
    bootDone: /INIT DONE/,
    until: "reads until init finished",
  },
  debian: {
    kind: "debian",
    trace: join(traces, "debian-systemd-boot.json.gz"),
    // agetty's prompt on ttyS0: what a user sees as "booted".
    bootDone: / login:/,
    until: "reads until the login prompt on ttyS0",
  },
};

/** `--image busybox|debian`; anything else is refused with the choices. */
export function stormImageChoice(value: string): StormImageChoice {
  const choice = Object.hasOwn(CHOICES, value) ? CHOICES[value as StormImageKind] : undefined;
  if (!choice) throw new Error(`--image ${value}: one of ${Object.keys(CHOICES).join(", ")} expected`);
  return choice;
}

/** Builds (or, for the Debian image, takes from .cache/) the chosen image with its data folder in `work`. */
export async function buildStormImage(work: string, kind: StormImageKind): Promise<StormImage> {
  if (kind === "debian") {
    const { debianStormImage } = await import("./debian-storm-image.js");
    return debianStormImage(work);
  }
  const { buildBusyboxStormImage } = await import("./busybox-storm-image.js");
  return buildBusyboxStormImage(work);
}
