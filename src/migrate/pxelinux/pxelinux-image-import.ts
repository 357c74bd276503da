/**
 * One pxelinux boot entry (a LABEL, or a DEFAULT that names a kernel) into
 * a bootfleet image: its APPEND becomes kernel_args, except root=,
 * nfsroot=, nbdroot= and initrd=, which are said in the image's
 * description: bootfleet mounts its own image over NBD with its own
 * initrd, so these are not kernel arguments any more. An NFS or NBD server
 * named there is evidence for server.address.
 *
 * An entry that mounts its root over NFS (`root=/dev/nfs`, `nfsroot=`,
 * initramfs-tools' `boot=nfs`) keeps an NFS root: its image gets
 * `root: nfs`, which mounts the image version's tree from services.nfs
 * (/images/<name>/<version>). The old export path is not such a tree, so
 * a located warning says which image to build from it.
 */
import type { SourceLocation } from "../../config/model.js";
import { parseIpv4 } from "../../config/net-address.js";
import { ADDRESS_RANK, type ConfigDraft, type ImageDraft } from "../config-draft.js";
import type { ImportProblem } from "../import-problem.js";
import type { PxelinuxLine } from "./pxelinux-cfg-lines.js";
import { PXELINUX_DIRECTIVE_TABLE } from "./pxelinux-directive-table.js";

export interface PxelinuxBootEntry {
  /** What the image is named after. */
  readonly name: string;
  /** How its header and warnings name it: "LABEL x", "DEFAULT vmlinuz (a kernel, no label of that name)". */
  readonly what: string;
  readonly kernel: string;
  readonly append: string | undefined;
  readonly initrd: string | undefined;
  readonly menuLabel: string | undefined;
  readonly at: SourceLocation;
  readonly comments: readonly string[];
  /** Lines written under it that do not map, kept as comments on the image. */
  readonly unmapped: readonly PxelinuxLine[];
}

export function importPxelinuxImage(
  entry: PxelinuxBootEntry,
  file: string,
  draft: ConfigDraft,
  problems: ImportProblem[],
): ImageDraft {
  const { what, kernel, append, initrd, menuLabel, at } = entry;
  const name = draft.freeImageName(imageName(entry.name));
  const image = draft.image(name);
  const kept: string[] = [];
  const said: string[] = [`kernel ${kernel}`];
  let initrdFile = initrd;
  let rootFrom: string | undefined;
  let nfsRoot = false;
  let nfsPath: string | undefined;
  for (const arg of (append ?? "").split(/\s+/).filter(Boolean)) {
    if (arg === "-") continue;
    const [key, ...v] = arg.split("=");
    const value = v.join("=");
    switch (key) {
      case "initrd":
        initrdFile = value;
        break;
      case "root":
        said.push(`root=${value}`);
        if (value === "/dev/nfs") nfsRoot = true;
        break;
      case "boot":
        // initramfs-tools: boot=nfs mounts the root over NFS, as LTSP 5's kernels did.
        if (value === "nfs") {
          nfsRoot = true;
          said.push("boot=nfs");
        } else kept.push(arg);
        break;
      case "nfsroot": {
        rootFrom = `NFS ${value}`;
        nfsRoot = true;
        nfsPath = (/^(?:[^:/]+:)?([^,]*)/.exec(value)?.[1] ?? "").trim() || undefined;
        const host = /^([^:]+):/.exec(value)?.[1];
        if (host && parseIpv4(host) !== null)
          draft.proposeServerAddress(host, ADDRESS_RANK.rootServer, `nfsroot= in ${file}`, at);
        break;
      }
      case "nbdroot": {
        rootFrom = `NBD ${value}`;
        const host = /^([^:]+)(:|$)/.exec(value)?.[1];
        if (host && parseIpv4(host) !== null)
          draft.proposeServerAddress(host, ADDRESS_RANK.rootServer, `nbdroot= in ${file}`, at);
        break;
      }
      default:
        kept.push(arg);
    }
  }
  if (initrdFile) said.push(`initrd ${initrdFile}`);
  image.description = [
    menuLabel,
    `pxelinux ${what} in ${file}: ${said.join(", ")}${rootFrom ? `, root over ${rootFrom}` : ""}`,
  ]
    .filter(Boolean)
    .join(" — ");
  if (kept.length) image.kernel_args = kept.join(" ");
  if (nfsRoot) image.root = "nfs";
  image.header.push(
    ...entry.comments,
    `${file}:${at.line}: ${what}`,
    nfsRoot
      ? "bootfleet boots its own image (its tree over NFS from services.nfs, with its own initrd); build this one from the old root:"
      : "bootfleet boots its own image (a squashfs over NBD, with its own initrd); build this one from the old root:",
    `  bootfleet image build ${name} --from ${nfsPath ?? "DIR"}`,
    "root=, nfsroot=, nbdroot= and initrd= are therefore not kernel_args; the rest is",
  );
  // The machine will load another file than the source named: the image's
  // kernel and initrd, once built. Said where the label is, so a migration
  // never changes what boots without a word.
  problems.push({
    severity: "warning",
    at,
    message: `${what} boots kernel ${kernel}${initrdFile ? ` with initrd ${initrdFile}` : ""}; bootfleet boots image ${name}'s own kernel and initrd instead`,
    hint: `build image ${name} from the root that kernel belongs to (bootfleet image build ${name} --from ${nfsPath ?? "DIR"})`,
  });
  if (nfsRoot && nfsPath !== `/images/${name}`)
    problems.push({
      severity: "warning",
      at,
      message: `${what} mounts its root over NFS from ${nfsPath ?? "the DHCP server's root-path"}, which is no bootfleet image: imported as image ${name} with root: nfs, served as /images/${name}/<version>`,
      hint: `build the image from that tree (bootfleet image build ${name} --from ${nfsPath ?? "DIR"}) and set services.nfs.enabled: true`,
    });
  for (const l of entry.unmapped)
    image.notes.push({
      at: l.at,
      source: [...l.comments.map((c) => `#${c}`), l.raw].join("\n"),
      why: PXELINUX_DIRECTIVE_TABLE.whyNotMappedInLabel(l.keyword),
    });
  if (!kept.length && append === undefined && !rootFrom)
    problems.push({
      severity: "warning",
      at,
      message: `${what} has no APPEND: the kernel gets no root`,
      hint: "bootfleet's image supplies the root; check kernel_args",
    });
  return image;
}

/** An image name from a label or path: letters, digits, '.', '_' and '-'. */
function imageName(text: string): string {
  const t = text.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return t || "image";
}
