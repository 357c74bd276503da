/**
 * An image lookup that answers for images no version of which is built yet,
 * so `bootfleet explain` can show what a machine would boot straight after
 * `bootfleet import`, before anyone ran `bootfleet image build`: the real
 * planner plans with a stand-in version, and the text it renders names the
 * stand-in as `<current>` (a pinned version keeps its own name). Used by
 * explain only; serving never plans with a version that is not on disk.
 */
import type { BootImage, ImageLookup } from "./image-lookup.js";

/**
 * The stand-in version: a name the planner accepts in URLs (IMAGE_NAME_PATTERN),
 * replaced by `<current>` in what explain prints, which no real version can
 * be called since `<` is not allowed in one.
 */
export const UNRESOLVED_VERSION = "unresolved-current";
/** root.squashfs's checksum and size for a RAM root, unknown until the version is built. */
const UNRESOLVED_SHA256 = "0".repeat(64);

function standIn(name: string, version: string): BootImage {
  return {
    name,
    version,
    kernel: "",
    initrd: "",
    squashfs: "",
    root: { bytes: 0, sha256: UNRESOLVED_SHA256 },
  };
}

export class UnresolvedImageLookup implements ImageLookup {
  readonly #images: ImageLookup;
  /** Images answered with a stand-in, so the caller can say the plan is not final. */
  readonly #standIns = new Set<string>();

  constructor(images: ImageLookup) {
    this.#images = images;
  }

  current(name: string): BootImage | null {
    const image = this.#images.current(name);
    if (image) return image;
    this.#standIns.add(name);
    return standIn(name, UNRESOLVED_VERSION);
  }

  get(name: string, version: string): BootImage | null {
    const image = this.#images.get(name, version);
    if (image) return image;
    this.#standIns.add(`${name}@${version}`);
    return standIn(name, version);
  }

  /** Images (and pinned versions, as name@version) that have no built version behind them. */
  get standIns(): readonly string[] {
    return [...this.#standIns].sort();
  }
}

/** Text from a plan made with stand-ins, with them shown as what they stand for. */
export function showUnresolved(text: string): string {
  return text
    .replaceAll(UNRESOLVED_VERSION, "<current>")
    .replaceAll(`bootfleet.root_sha256=${UNRESOLVED_SHA256}`, "bootfleet.root_sha256=<sha256>")
    .replace(/\bbootfleet\.root_bytes=0(?=\s|$)/g, "bootfleet.root_bytes=<bytes>");
}
