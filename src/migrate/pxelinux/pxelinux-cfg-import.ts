/**
 * pxelinux.cfg files (syslinux's config: DEFAULT, LABEL, KERNEL, APPEND,
 * INITRD, IPAPPEND, MENU ...) into images and kernel arguments:
 *
 *   LABEL x + KERNEL + APPEND  -> images: { x: { kernel_args, description } }
 *   DEFAULT x                  -> defaults.image: x (several labels: defaults.menu)
 *   root=, nfsroot=, nbdroot=, initrd= -> said in the image's description:
 *     bootfleet mounts its own image over NBD with its own initrd, so these
 *     are not kernel arguments any more
 *
 * A directive keyword in capitals inside another directive's arguments
 * (seed 003: `DEFAULT vmlinuz APPEND root=/dev/nfs ... IPAPPEND 1`) is read
 * as a new line, with a warning: pxelinux would pass `APPEND`, `IPAPPEND`
 * and `1` to the kernel, and init takes a bare `1` as single-user mode.
 */
import type { SourceLocation } from "../../config/model.js";
import { parseIpv4 } from "../../config/net-address.js";
import { ADDRESS_RANK, type ConfigDraft, type ImageDraft } from "../config-draft.js";
import type { ImportProblem } from "../import-problem.js";

interface Line {
  readonly keyword: string;
  readonly args: string;
  readonly at: SourceLocation;
  readonly raw: string;
  readonly comments: string[];
}

interface Label {
  readonly name: string;
  readonly at: SourceLocation;
  readonly comments: string[];
  menuLabel?: string;
  kernel?: string;
  append?: string;
  initrd?: string;
  localboot?: boolean;
  readonly unmapped: Line[];
}

const DIRECTIVES = new Set([
  "DEFAULT",
  "LABEL",
  "KERNEL",
  "LINUX",
  "APPEND",
  "INITRD",
  "IPAPPEND",
  "SYSAPPEND",
  "LOCALBOOT",
  "TIMEOUT",
  "TOTALTIMEOUT",
  "ONTIMEOUT",
  "PROMPT",
  "UI",
  "MENU",
  "SAY",
  "DISPLAY",
  "IMPLICIT",
  "ALLOWOPTIONS",
  "NOESCAPE",
  "SERIAL",
  "CONSOLE",
  "FONT",
  "KBDMAP",
]);

/** Directives whose arguments run to the end of the line (a label name or a kernel command line). */
const SPLITTABLE = new Set([
  "default",
  "label",
  "kernel",
  "linux",
  "append",
  "initrd",
  "ipappend",
  "sysappend",
  "ontimeout",
  "timeout",
]);

const KNOWN = new Set(
  [...DIRECTIVES]
    .map((d) => d.toLowerCase())
    .concat([
      "text",
      "endtext",
      "f1",
      "f2",
      "f3",
      "f4",
      "f5",
      "f6",
      "f7",
      "f8",
      "f9",
      "f10",
      "f11",
      "f12",
      "path",
      "include",
      "config",
      "com32",
      "boot",
      "bss",
      "pxe",
      "fdimage",
      "comboot",
      "nocomplete",
      "onerror",
    ]),
);

export function importPxelinuxCfg(
  text: string,
  file: string,
  draft: ConfigDraft,
  problems: ImportProblem[],
): void {
  const lines = readLines(text, file, problems);
  const labels: Label[] = [];
  const global: Line[] = [];
  let current: Label | undefined;
  let defaultLine: Line | undefined;
  let globalAppend: Line | undefined;
  let timeout: number | undefined;
  for (const l of lines) {
    const kw = l.keyword;
    if (kw === "label") {
      current = { name: l.args.trim(), at: l.at, comments: l.comments, unmapped: [] };
      if (!current.name)
        problems.push({
          severity: "error",
          at: l.at,
          message: "LABEL without a name",
          hint: "write it as LABEL NAME",
        });
      labels.push(current);
      continue;
    }
    if (current) {
      if (kw === "kernel" || kw === "linux") current.kernel = l.args.trim();
      else if (kw === "append") current.append = l.args.trim();
      else if (kw === "initrd") current.initrd = l.args.trim();
      else if (kw === "menu" && /^label\s/i.test(l.args))
        current.menuLabel = l.args.replace(/^label\s+/i, "").trim();
      else if (kw === "localboot") current.localboot = true;
      else if (isGlobal(kw)) {
        // DEFAULT, TIMEOUT ... are global wherever they are written.
        if (kw === "default") defaultLine = l;
        else if (kw === "timeout") timeout = Number(l.args.trim());
        else global.push(l);
        continue;
      } else current.unmapped.push(l);
      if (l.comments.length) current.comments.push(...l.comments);
      continue;
    }
    if (kw === "default") defaultLine = l;
    else if (kw === "append") globalAppend = l;
    else if (kw === "timeout") timeout = Number(l.args.trim());
    else global.push(l);
  }

  const images = new Map<Label, ImageDraft>();
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
    const append = label.append ?? globalAppend?.args.trim();
    images.set(
      label,
      imageFor(
        draft,
        label.name,
        `LABEL ${label.name}`,
        label.kernel,
        append,
        label.initrd,
        label.menuLabel,
        label.at,
        file,
        problems,
        label.comments,
        label.unmapped,
      ),
    );
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
      const nameHint = nfsOrNbdName(args) ?? kernel!.replace(/.*\//, "");
      defaultImage = imageFor(
        draft,
        nameHint,
        `DEFAULT ${target.split(/\s+/)[0]} (a kernel, no label of that name)`,
        kernel!,
        args,
        undefined,
        undefined,
        defaultLine.at,
        file,
        problems,
        defaultLine.comments,
        [],
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
  if (defaultImage && draft.defaults.get(["image"]) === undefined) {
    draft.defaults.set(["image"], defaultImage.name, {
      inline: defaultLine
        ? `${file}:${defaultLine.at.line}: ${defaultLine.raw}`
        : `${file}: the first label (no DEFAULT)`,
      before: defaultLine?.comments ?? [],
    });
  }
  if (all.length > 1 && draft.defaults.get(["menu"]) === undefined) {
    draft.defaults.set(
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
  for (const l of global) {
    const why =
      l.keyword === "ipappend" || l.keyword === "sysappend"
        ? "mapped by design: bootfleet puts the address and BOOTIF on the kernel command line itself"
        : l.keyword === "ontimeout" &&
            defaultImage &&
            l.args.trim() === (labels.find((x) => images.get(x) === defaultImage)?.name ?? "")
          ? "the same as DEFAULT"
          : l.keyword === "prompt" || l.keyword === "ui" || l.keyword === "menu"
            ? "not mapped: bootfleet renders its own menu (defaults.menu)"
            : `not mapped: bootfleet has no equivalent of ${l.keyword.toUpperCase()}`;
    draft.notes.push({ at: l.at, source: [...l.comments.map((c) => `#${c}`), l.raw].join("\n"), why });
  }
}

function isGlobal(kw: string): boolean {
  return (
    kw === "default" ||
    kw === "timeout" ||
    kw === "ontimeout" ||
    kw === "prompt" ||
    kw === "ui" ||
    kw === "totaltimeout"
  );
}

function readLines(text: string, file: string, problems: ImportProblem[]): Line[] {
  const out: Line[] = [];
  let pending: string[] = [];
  const rows = text.split("\n");
  rows.forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, "");
    const t = line.trim();
    const indent = line.length - line.trimStart().length;
    if (t === "") return;
    if (t.startsWith("#")) {
      pending.push(t.slice(1));
      return;
    }
    // Split at directive keywords written in capitals inside the line (joined lines).
    const words = [...t.matchAll(/\S+/g)];
    const cuts = [0];
    // Only lines whose arguments are a name or a command line can have swallowed the next line; MENU LABEL is one directive.
    let splittable = SPLITTABLE.has(words[0]![0].toLowerCase());
    for (let w = 1; w < words.length; w++) {
      const word = words[w]![0];
      if (splittable && DIRECTIVES.has(word) && words[w - 1]![0].toUpperCase() !== "MENU") {
        cuts.push(words[w]!.index!);
        splittable = SPLITTABLE.has(word.toLowerCase());
      }
    }
    for (let c = 0; c < cuts.length; c++) {
      const part = t.slice(cuts[c], cuts[c + 1] ?? t.length).trim();
      const column = indent + cuts[c]! + 1;
      const at = { file, line: i + 1, column };
      if (c > 0)
        problems.push({
          severity: "warning",
          at,
          message: `'${part.split(/\s+/)[0]}' inside a ${t.split(/\s+/)[0]} line: read as a directive of its own (lines joined?)`,
          hint: "put each pxelinux directive on its own line; pxelinux would pass these words to the kernel",
        });
      const m = /^(\S+)\s*(.*)$/.exec(part)!;
      const keyword = m[1]!.toLowerCase();
      if (!KNOWN.has(keyword))
        problems.push({
          severity: "warning",
          at,
          message: `'${m[1]}' is not a pxelinux directive`,
          hint: "see syslinux's doc/syslinux.txt",
        });
      out.push({ keyword, args: m[2] ?? "", at, raw: part, comments: c === 0 ? pending : [] });
      if (c === 0) pending = [];
    }
  });
  if (pending.length)
    out.push({
      keyword: "#",
      args: "",
      at: { file, line: rows.length, column: 1 },
      raw: "",
      comments: pending,
    });
  return out;
}

/** An image name from nfsroot=/path or nbdroot= (seed 003: nfsroot=...:/diskless/gentoo -> gentoo). */
function nfsOrNbdName(args: string): string | undefined {
  const nfs = /(?:^|\s)nfsroot=(?:[^:\s]+:)?([^,\s]+)/.exec(args);
  if (nfs) return nfs[1]!.replace(/\/+$/, "").replace(/.*\//, "") || undefined;
  return undefined;
}

function imageName(text: string): string {
  const t = text.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return t || "image";
}

function imageFor(
  draft: ConfigDraft,
  label: string,
  what: string,
  kernel: string,
  append: string | undefined,
  initrd: string | undefined,
  menuLabel: string | undefined,
  at: SourceLocation,
  file: string,
  problems: ImportProblem[],
  comments: readonly string[],
  unmapped: readonly Line[],
): ImageDraft {
  let name = imageName(label);
  if (draft.images.has(name))
    for (let i = 2; ; i++)
      if (!draft.images.has(`${name}-${i}`)) {
        name = `${name}-${i}`;
        break;
      }
  const image = draft.image(name);
  const kept: string[] = [];
  const said: string[] = [`kernel ${kernel}`];
  let initrdFile = initrd;
  let rootFrom: string | undefined;
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
        break;
      case "nfsroot": {
        rootFrom = `NFS ${value}`;
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
  image.header.push(
    ...comments,
    `${file}:${at.line}: ${what}`,
    "bootfleet boots its own image (a squashfs over NBD, with its own initrd); build this one from the old root:",
    `  bootfleet image build ${name} --from ${rootFrom?.startsWith("NFS") ? rootFrom.replace(/^NFS (?:[^:]+:)?([^,]+).*/, "$1") : "DIR"}`,
    "root=, nfsroot=, nbdroot= and initrd= are therefore not kernel_args; the rest is",
  );
  for (const l of unmapped)
    image.notes.push({
      at: l.at,
      source: [...l.comments.map((c) => `#${c}`), l.raw].join("\n"),
      why: unmappedWhy(l.keyword),
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

function unmappedWhy(kw: string): string {
  if (kw === "ipappend" || kw === "sysappend")
    return "mapped by design: bootfleet puts the address and BOOTIF on the kernel command line itself";
  if (kw === "menu" || kw === "text" || kw === "endtext")
    return "not mapped: the image's description is its menu text";
  return `not mapped: bootfleet has no equivalent of ${kw.toUpperCase()}`;
}
