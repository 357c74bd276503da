/**
 * The lts.conf / ltsp.conf settings that decide what a client boots, not
 * how its session looks, mapped to the layer's keys instead of `settings`:
 *
 *   KERNEL_PARAMETERS="nomodeset"  -> kernel_args (ltsp.conf(5): `ltsp ipxe` appends
 *                                     them to the client's command line, as bootfleet
 *                                     appends kernel_args after its own)
 *   DEFAULT_IMAGE="x86_64"         -> image: x86_64 (the default item of `ltsp ipxe`'s menu)
 *   ROOTFS=nfs | nbd               -> root: nfs | nbd (diskless setups that write the root's
 *                                     transport beside LTSP's keys)
 *
 * ltsp.conf(5) reads KERNEL_PARAMETERS and DEFAULT_IMAGE in MAC sections
 * and, for every client, under [server].
 */
import type { ConfigDraft, LayerDraft } from "../config-draft.js";
import type { ImportProblem } from "../import-problem.js";
import type { LtsEntry } from "./lts-conf-parser.js";

/** Maps `e` when it is one of these settings; false leaves it a setting. */
export function applyLtsBootSetting(
  e: LtsEntry,
  layer: LayerDraft,
  draft: ConfigDraft,
  problems: ImportProblem[],
  file: string,
): boolean {
  const key = e.key.toUpperCase();
  const source = { before: e.comments, inline: `${file}:${e.at.line}: ${e.raw}` };
  if (key === "KERNEL_PARAMETERS") {
    let value = e.value.trim();
    // LTSP's value replaces the [server] one (a shell variable set again); bootfleet appends each
    // layer's kernel_args to the ones before, so a client's own is written as what it adds.
    const general = layer === draft.defaults ? undefined : draft.defaults.get(["kernel_args"]);
    if (typeof general === "string" && general !== "") {
      if (value === general) return true;
      if (value.startsWith(`${general} `)) value = value.slice(general.length + 1);
      else
        problems.push({
          severity: "warning",
          at: e.valueAt,
          message: `KERNEL_PARAMETERS here replaces the one every client gets ('${general}'); bootfleet appends each layer's kernel_args, so this client gets '${[general, value].filter(Boolean).join(" ")}'`,
          hint: "move the parameters only some clients need out of [server] into their sections",
        });
    }
    if (value !== "") layer.set(["kernel_args"], value, source);
    return true;
  }
  if (key === "DEFAULT_IMAGE") {
    const name = e.value.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      problems.push({
        severity: "error",
        at: e.valueAt,
        message: `DEFAULT_IMAGE=${e.value}: not an image name bootfleet can serve`,
        hint: "image names are letters, digits, '.', '_' and '-'",
      });
      return true;
    }
    const image = draft.image(name);
    if (image.header.length === 0)
      image.header.push(
        `${file}:${e.at.line}: LTSP's image ${name} (its squashfs images/${name}.img, or the chroot ${name})`,
        `build it from that chroot: bootfleet image build ${name} --from /srv/ltsp/${name}`,
      );
    layer.set(["image"], name, source);
    return true;
  }
  if (key === "ROOTFS") {
    const mode = e.value.trim().toLowerCase();
    if (mode === "nfs" || mode === "nbd") {
      layer.set(["root"], mode, source);
      if (mode === "nfs")
        problems.push({
          severity: "warning",
          at: e.at,
          message:
            "ROOTFS=nfs: imported as root: nfs, which mounts the image version's tree from services.nfs (/images/<name>/<version>), not the old export",
          hint: "build the image from the old NFS root (bootfleet image build NAME --from PATH) and set services.nfs.enabled: true",
        });
      return true;
    }
    problems.push({
      severity: "warning",
      at: e.valueAt,
      message: `ROOTFS=${e.value}: bootfleet serves roots over nbd, nfs or into RAM; kept as a setting`,
      hint: "set root: nbd, nfs or ram on this layer",
    });
  }
  return false;
}
