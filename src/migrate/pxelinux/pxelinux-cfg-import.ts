/**
 * pxelinux.cfg files (syslinux's config: DEFAULT, LABEL, KERNEL, APPEND,
 * INITRD, IPAPPEND, MENU ...) into images and kernel arguments:
 *
 *   LABEL x + KERNEL + APPEND  -> images: { x: { kernel_args, description } }
 *   DEFAULT x                  -> defaults.image: x (several labels: defaults.menu)
 *   root=, nfsroot=, nbdroot=, initrd= -> said in the image's description
 *     (pxelinux-image-import.ts)
 *
 * The file is read into labels and global settings (pxelinux-cfg-parser.ts);
 * this file turns each label into an image, picks the one DEFAULT boots,
 * offers several as a menu, and keeps the rest as comments.
 */
import type { ConfigDraft, ImageDraft } from "../config-draft.js";
import type { ImportProblem } from "../import-problem.js";
import { type PxelinuxLabel, parsePxelinuxCfg } from "./pxelinux-cfg-parser.js";
import { importPxelinuxImage } from "./pxelinux-image-import.js";

export function importPxelinuxCfg(
  text: string,
  file: string,
  draft: ConfigDraft,
  problems: ImportProblem[],
): void {
  const { labels, defaultLine, globalAppend, timeout, globalLines } = parsePxelinuxCfg(text, file, problems);
  // The layer DEFAULT and the menu go on: the defaults, as pxelinux.cfg/default is for every machine.
  const layer = draft.defaults;

  const images = new Map<PxelinuxLabel, ImageDraft>();
  for (const label of labels) {
    if (label.localboot || !label.kernel) {
      draft.notes.push({
        at: label.at,
        why: label.localboot
          ? `not mapped: LABEL ${label.name} boots the local disk; bootfleet's menu offers that with menu.local: true`
          : `not mapped: LABEL ${label.name} has no KERNEL`,
      });
      continue;
    }
    if (/\.c32$/i.test(label.kernel)) {
      draft.notes.push({
        at: label.at,
        source: label.kernel,
        why: `not mapped: LABEL ${label.name} runs a syslinux module, not a Linux kernel`,
      });
      continue;
    }
    const image = importPxelinuxImage(
      {
        name: label.name,
        what: `LABEL ${label.name}`,
        kernel: label.kernel,
        append: label.append ?? globalAppend?.args.trim(),
        initrd: label.initrd,
        menuLabel: label.menuLabel,
        at: label.at,
        comments: label.comments,
        unmapped: label.unmapped,
      },
      file,
      draft,
      problems,
    );
    images.set(label, image);
  }

  // DEFAULT: a label's name, or (no such label) a kernel command line of its own.
  let defaultImage: ImageDraft | undefined;
  if (defaultLine) {
    const target = defaultLine.args.trim();
    const label =
      labels.find((x) => x.name === target) ??
      labels.find((x) => x.name.toLowerCase() === target.toLowerCase());
    if (label) defaultImage = images.get(label);
    else if (/\.c32(\s|$)/i.test(target)) {
      // DEFAULT menu.c32 (or vesamenu.c32): a menu of the labels; the first is what boots on timeout.
      defaultImage = images.values().next().value;
      draft.notes.push({
        at: defaultLine.at,
        source: defaultLine.raw,
        why: "mapped: a syslinux menu of the labels; bootfleet's menu (defaults.menu) offers the same images",
      });
    } else if (target) {
      const [kernel, ...rest] = target.split(/\s+/);
      const args = [rest.join(" "), globalAppend?.args.trim() ?? ""].filter(Boolean).join(" ");
      defaultImage = importPxelinuxImage(
        {
          name: nfsRootName(args) ?? lastPathPart(kernel!),
          what: `DEFAULT ${target.split(/\s+/)[0]} (a kernel, no label of that name)`,
          kernel: kernel!,
          append: args,
          initrd: undefined,
          menuLabel: undefined,
          at: defaultLine.at,
          comments: defaultLine.comments,
          unmapped: [],
        },
        file,
        draft,
        problems,
      );
    } else
      problems.push({
        severity: "error",
        at: defaultLine.at,
        message: "DEFAULT without a label or kernel",
        hint: "write DEFAULT LABELNAME",
      });
  } else if (images.size > 0) defaultImage = images.values().next().value;

  const all = [...new Set([...images.values(), ...(defaultImage ? [defaultImage] : [])])];
  if (defaultImage && layer.get(["image"]) === undefined) {
    layer.set(["image"], defaultImage.name, {
      inline: defaultLine
        ? `${file}:${defaultLine.at.line}: ${defaultLine.raw}`
        : `${file}: the first label (no DEFAULT)`,
      before: defaultLine?.comments ?? [],
    });
  }
  if (all.length > 1 && layer.get(["menu"]) === undefined) {
    layer.set(
      ["menu"],
      {
        images: all.map((i) => i.name),
        ...(timeout !== undefined && Number.isFinite(timeout) ? { timeout: Math.ceil(timeout / 10) } : {}),
      },
      {
        inline: `the labels of ${file}${timeout !== undefined ? `; TIMEOUT ${timeout} is in tenths of a second` : ""}`,
      },
    );
  } else if (timeout !== undefined) {
    draft.notes.push({
      at: { file, line: 1, column: 1 },
      why: `TIMEOUT ${timeout} not mapped: there is one image, so no menu`,
    });
  }
  const defaultLabel = labels.find((x) => defaultImage !== undefined && images.get(x) === defaultImage)?.name;
  for (const l of globalLines) {
    const why =
      l.keyword === "ipappend" || l.keyword === "sysappend"
        ? "mapped by design: bootfleet puts the address and BOOTIF on the kernel command line itself"
        : l.keyword === "ontimeout" && defaultLabel !== undefined && l.args.trim() === defaultLabel
          ? "the same as DEFAULT"
          : l.keyword === "prompt" || l.keyword === "ui" || l.keyword === "menu"
            ? "not mapped: bootfleet renders its own menu (defaults.menu)"
            : `not mapped: bootfleet has no equivalent of ${l.keyword.toUpperCase()}`;
    draft.notes.push({ at: l.at, source: [...l.comments.map((c) => `#${c}`), l.raw].join("\n"), why });
  }
}

/** An image name from nfsroot=SERVER:/path: its last folder (nfsroot=10.0.0.1:/diskless/gentoo -> gentoo). */
function nfsRootName(args: string): string | undefined {
  const nfs = /(?:^|\s)nfsroot=(?:[^:\s]+:)?([^,\s]+)/.exec(args);
  if (!nfs) return undefined;
  const path = nfs[1]!;
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  return lastPathPart(path.slice(0, end)) || undefined;
}

/** What follows the last '/' (a string search: /.*\// backtracks quadratically over a long name without one). */
function lastPathPart(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
