/**
 * pxelinux.cfg files (syslinux's config: DEFAULT, LABEL, KERNEL, APPEND,
 * INITRD, IPAPPEND, MENU, INCLUDE ...) into images, and into the layer of
 * the machines that read the file:
 *
 *   pxelinux.cfg/default          -> defaults
 *   pxelinux.cfg/01-<mac>         -> the host with that MAC
 *   pxelinux.cfg/C0A803 (hex)     -> the network 192.168.3.0/24
 *   pxelinux.cfg/C0A80314         -> the host, or the address layer, of 192.168.3.20
 *   LABEL x + KERNEL + APPEND     -> images: { x: { kernel_args, description, root } }
 *   what boots unattended         -> that layer's image (pxelinux-default-entry.ts)
 *   several labels                -> that layer's menu; a LOCALBOOT label is menu.local
 *
 * An entry that boots the local disk or a syslinux module by default has
 * no bootfleet equivalent, and is refused at the line that chose it.
 */
import type { ConfigDraft, ImageDraft, LayerDraft, Note } from "../config-draft.js";
import { HostDraft } from "../config-draft.js";
import { cidrContains, parseCidr } from "../../config/net-address.js";
import type { ImportProblem } from "../import-problem.js";
import { type PxelinuxLabel, parsePxelinuxCfg } from "./pxelinux-cfg-parser.js";
import { pxelinuxDefaultEntry } from "./pxelinux-default-entry.js";
import { type PxelinuxFileRole, pxelinuxFileRole } from "./pxelinux-file-role.js";
import { importPxelinuxImage, type PxelinuxBootEntry } from "./pxelinux-image-import.js";
import type { PxelinuxTree } from "./pxelinux-tree.js";

/**
 * What earlier pxelinux files of the same import made, per draft: the same
 * label reached from default, a per-MAC file and a subnet file (one
 * INCLUDEd menu) is one image, and its notes and problems are said once.
 */
interface PxelinuxImportMemo {
  readonly images: Map<string, ImageDraft>;
  readonly said: Set<string>;
}
const MEMOS = new WeakMap<ConfigDraft, PxelinuxImportMemo>();

function memoOf(draft: ConfigDraft): PxelinuxImportMemo {
  let memo = MEMOS.get(draft);
  if (!memo) {
    memo = { images: new Map(), said: new Set() };
    MEMOS.set(draft, memo);
  }
  return memo;
}

export function importPxelinuxCfg(
  text: string,
  file: string,
  draft: ConfigDraft,
  problems: ImportProblem[],
  tree?: PxelinuxTree,
): void {
  const memo = memoOf(draft);
  const notes: Note[] = [];
  const found: ImportProblem[] = [];
  importFile(text, file, draft, notes, found, tree);
  for (const n of notes) {
    const key = `${n.at?.file}:${n.at?.line}:${n.at?.column}:${n.why}`;
    if (!memo.said.has(key)) {
      memo.said.add(key);
      draft.notes.push(n);
    }
  }
  for (const p of found) {
    const key = `${p.severity}:${p.at.file}:${p.at.line}:${p.at.column}:${p.message}`;
    if (!memo.said.has(key)) {
      memo.said.add(key);
      problems.push(p);
    }
  }
}

function importFile(
  text: string,
  file: string,
  draft: ConfigDraft,
  notes: Note[],
  problems: ImportProblem[],
  tree: PxelinuxTree | undefined,
): void {
  const start = { file, line: 1, column: 1 };
  const named = pxelinuxFileRole(file);
  const role: PxelinuxFileRole =
    named.kind === "other" && !tree?.inConfigFolder ? { kind: "default" } : named;
  if (role.kind === "other") {
    problems.push({
      severity: "error",
      at: start,
      message:
        "pxelinux reads no file of this name on its own (it asks for 01-<mac>, the address in hex, then default)",
      hint: "import pxelinux.cfg/default, the per-machine files or the whole pxelinux.cfg folder; the files they INCLUDE are read with them",
    });
    return;
  }
  if (role.kind === "uuid") {
    problems.push({
      severity: "error",
      at: start,
      message: `read by the machine whose SMBIOS UUID is ${role.uuid}: bootfleet tells machines apart by MAC, name or address`,
      hint: "rename it to pxelinux.cfg/01-<mac> of that machine, or declare the machine in a dhcpd.conf imported with it",
    });
    return;
  }
  const cfg = parsePxelinuxCfg(
    text,
    file,
    problems,
    tree,
    tree?.inConfigFolder ? `pxelinux.cfg/${file.slice(file.lastIndexOf("/") + 1)}` : undefined,
  );
  const layer = layerOf(role, file, draft, problems);
  if (!layer) return;
  const images = new Map<PxelinuxLabel, ImageDraft>();
  let localLabel: PxelinuxLabel | undefined;
  for (const label of cfg.labels) {
    if (label.localboot || !label.kernel) {
      if (label.localboot) localLabel ??= label;
      notes.push({
        at: label.at,
        why: label.localboot
          ? `mapped: LABEL ${label.name} boots the local disk; bootfleet's menu offers that with menu.local: true`
          : `not mapped: LABEL ${label.name} has no KERNEL`,
      });
      continue;
    }
    if (/\.c32$/i.test(label.kernel)) {
      notes.push({
        at: label.at,
        source: [label.kernel, label.append].filter(Boolean).join(" "),
        why: `not mapped: LABEL ${label.name} runs a syslinux module (a submenu or tool), not a Linux kernel`,
      });
      continue;
    }
    images.set(
      label,
      imageFor(
        {
          name: label.name,
          what: `LABEL ${label.name}`,
          kernel: label.kernel,
          append: label.append ?? cfg.globalAppend?.args.trim(),
          initrd: label.initrd,
          menuLabel: label.menuLabel,
          at: label.at,
          comments: label.comments,
          unmapped: label.unmapped,
        },
        draft,
        problems,
      ),
    );
  }

  const chosen = pxelinuxDefaultEntry(cfg);
  let defaultImage: ImageDraft | undefined;
  let chosenHow = "";
  if (chosen.kind === "label") {
    const at = chosen.by?.at ?? chosen.label.at;
    chosenHow = `${chosen.how} -> LABEL ${chosen.label.name}`;
    defaultImage = images.get(chosen.label);
    if (chosen.label.localboot)
      problems.push({
        severity: "error",
        at,
        message: `${chosen.how} boots LABEL ${chosen.label.name}, which boots the local disk (LOCALBOOT): bootfleet boots an image by default, never the local disk`,
        hint: "bootfleet offers the local disk as a menu entry (menu.local: true), not as the default; leave these machines out of the import, or make an image their default",
      });
    else if (!defaultImage)
      problems.push({
        severity: "error",
        at,
        message: `${chosen.how} boots LABEL ${chosen.label.name}, which ${chosen.label.kernel ? `runs the syslinux module ${chosen.label.kernel}` : "has no KERNEL"}: bootfleet has no equivalent`,
        hint: "make a label with a Linux kernel the default (DEFAULT, MENU DEFAULT or ONTIMEOUT)",
      });
  } else if (chosen.kind === "command") {
    const [kernel, ...rest] = chosen.command.split(/\s+/);
    chosenHow = `${chosen.by.keyword.toUpperCase()} ${chosen.command}`;
    if (/\.c32$/i.test(kernel!))
      problems.push({
        severity: "error",
        at: chosen.by.at,
        message: `${chosen.by.keyword.toUpperCase()} runs the syslinux module ${kernel}: bootfleet has no equivalent`,
        hint: "make a label with a Linux kernel the default",
      });
    else {
      const args = [rest.join(" "), cfg.globalAppend?.args.trim() ?? ""].filter(Boolean).join(" ");
      defaultImage = imageFor(
        {
          name: nfsRootName(args) ?? lastPathPart(kernel!),
          what: `${chosen.by.keyword.toUpperCase()} ${kernel} (a kernel, no label of that name)`,
          kernel: kernel!,
          append: args,
          initrd: undefined,
          menuLabel: undefined,
          at: chosen.by.at,
          comments: chosen.by.comments,
          unmapped: [],
        },
        draft,
        problems,
      );
    }
  } else if (images.size > 0) {
    defaultImage = images.values().next().value;
    chosenHow = `the first label (${chosen.why})`;
    problems.push({
      severity: "warning",
      at: start,
      message: `${chosen.why}: pxelinux waits at its boot: prompt; bootfleet boots the first label, ${defaultImage!.name}`,
      hint: "write DEFAULT LABELNAME",
    });
  }

  const all = [...new Set([...(defaultImage ? [defaultImage] : []), ...images.values()])];
  if (defaultImage && layer.get(["image"]) === undefined)
    layer.set(["image"], defaultImage.name, {
      inline: `${file}: ${chosenHow}`,
      before: chosen.kind !== "none" && chosen.by ? chosen.by.comments : [],
    });
  const timeout = cfg.timeout !== undefined && Number.isFinite(cfg.timeout) ? cfg.timeout : undefined;
  // A menu of one image and the local disk is still a menu: the user may choose the disk.
  if ((all.length > 1 || (all.length === 1 && localLabel)) && layer.get(["menu"]) === undefined) {
    layer.set(
      ["menu"],
      {
        images: all.map((i) => i.name),
        ...(timeout !== undefined && timeout > 0 ? { timeout: Math.ceil(timeout / 10) } : {}),
        ...(localLabel ? { local: true } : {}),
      },
      {
        inline: `the labels of ${file}${timeout !== undefined ? `; TIMEOUT ${timeout} is in tenths of a second` : ""}`,
      },
    );
    if (!timeout && cfg.ui)
      problems.push({
        severity: "warning",
        at: cfg.ui.at,
        message: `the menu waits for a key (no TIMEOUT); bootfleet's menu boots ${defaultImage?.name ?? "its first image"} when its timeout runs out`,
        hint: "set menu.timeout to the time users need to choose",
      });
  } else if (timeout !== undefined)
    notes.push({ at: start, why: `TIMEOUT ${timeout} not mapped: there is one image, so no menu` });
  if (cfg.ontimeout)
    notes.push({
      at: cfg.ontimeout.at,
      source: cfg.ontimeout.raw,
      why:
        chosen.kind !== "none" && chosen.by === cfg.ontimeout
          ? "mapped: what boots when TIMEOUT runs out is the image"
          : "not mapped: pxelinux never reaches ONTIMEOUT here (no TIMEOUT, or no menu or prompt to wait at)",
    });
  for (const l of cfg.globalLines)
    notes.push({
      at: l.at,
      source: [...l.comments.map((c) => `#${c}`), l.raw].join("\n"),
      why:
        l.keyword === "ipappend" || l.keyword === "sysappend"
          ? "mapped by design: bootfleet puts the address and BOOTIF on the kernel command line itself"
          : l.keyword === "prompt" || l.keyword === "menu" || l.keyword === "text"
            ? "not mapped: bootfleet renders its own menu (defaults.menu)"
            : `not mapped: bootfleet has no equivalent of ${l.keyword.toUpperCase()}`,
    });
}

/** The layer of the machines that read a file of this role. */
function layerOf(
  role: PxelinuxFileRole,
  file: string,
  draft: ConfigDraft,
  problems: ImportProblem[],
): LayerDraft | undefined {
  const at = { file, line: 1, column: 1 };
  switch (role.kind) {
    case "mac": {
      const known = draft.findHostByMac(role.mac) ?? draft.findStandInHost(role.mac);
      if (known) return known;
      const host = new HostDraft(draft.freeHostName(`pxe-${role.mac.replaceAll(":", "")}`), at);
      host.mac = role.mac;
      host.header.push(
        `${file}: the config of the machine with MAC ${role.mac}; named after its MAC, as the file names no host`,
      );
      // A stand-in: a dhcpd.conf or dnsmasq host with this MAC, read before or after, takes its place.
      draft.addStandInHost(host);
      return host;
    }
    case "prefix": {
      // pxelinux asks for the longest prefix first (C0A803 before C0A8); bootfleet networks do not nest.
      const own = parseCidr(role.subnet)!;
      const nested = draft.networks.find((n) => {
        const other = parseCidr(n.subnet);
        return (
          other !== null &&
          other.text !== own.text &&
          (cidrContains(other, own.network) || cidrContains(own, other.network))
        );
      });
      if (nested) {
        problems.push({
          severity: "error",
          at,
          message: `the clients of ${role.subnet} are also in ${nested.subnet}${nested.at ? ` (${nested.at.file})` : ""}: pxelinux gives them the longer prefix's file, bootfleet networks do not nest`,
          hint: "give each subnet its own file, or declare the machines of the smaller one as hosts",
        });
        return undefined;
      }
      const net = draft.network(role.subnet, at);
      net.header.push(
        `${file}: pxelinux's config for the clients in ${role.subnet} (its hex name is their address prefix)`,
      );
      return net;
    }
    case "address":
      return draft.findHostByIp(role.ip) ?? draft.address(role.ip);
    default:
      return draft.defaults;
  }
}

/** One image per boot entry, however many files reach it. */
function imageFor(entry: PxelinuxBootEntry, draft: ConfigDraft, problems: ImportProblem[]): ImageDraft {
  const byEntry = memoOf(draft).images;
  const key = [entry.name, entry.kernel, entry.append ?? "", entry.initrd ?? ""].join("\u0000");
  const known = byEntry.get(key);
  if (known) return known;
  const image = importPxelinuxImage(entry, entry.at.file, draft, problems);
  byEntry.set(key, image);
  return image;
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
