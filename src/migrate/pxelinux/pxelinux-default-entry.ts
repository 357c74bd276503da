/**
 * The entry a pxelinux config boots when nobody touches the keyboard
 * (syslinux's doc/syslinux.txt and doc/menu.txt):
 *
 *   TIMEOUT > 0 and ONTIMEOUT x       -> x, when the time runs out at a menu or a
 *                                        boot: prompt (PROMPT 1); with PROMPT 0 and no
 *                                        menu nothing waits, and DEFAULT boots at once
 *   a menu (UI menu.c32, or DEFAULT menu.c32):
 *     the label with MENU DEFAULT     -> that label (not one inside MENU BEGIN ... MENU END:
 *                                        that is the submenu's default)
 *     else a label named by DEFAULT   -> that label
 *     else                            -> the menu's first label
 *   no menu: DEFAULT x                -> the label x, or x as a kernel command line
 *
 * Never "the first label of the first file": a per-MAC file whose DEFAULT
 * is `local` boots the local disk, however many installers it lists.
 */
import type { PxelinuxLine } from "./pxelinux-cfg-lines.js";
import type { PxelinuxCfg, PxelinuxLabel } from "./pxelinux-cfg-parser.js";

export type PxelinuxDefault =
  | {
      readonly kind: "label";
      readonly label: PxelinuxLabel;
      /** The line that chose it, when one did. */
      readonly by: PxelinuxLine | undefined;
      readonly how: string;
    }
  /** DEFAULT or ONTIMEOUT naming no label: a kernel (or module) and its command line. */
  | { readonly kind: "command"; readonly command: string; readonly by: PxelinuxLine }
  | { readonly kind: "none"; readonly why: string };

/** The menu modules syslinux ships; DEFAULT naming one shows the labels as a menu, like UI. */
const MENU_MODULE = /(^|\/)(vesa)?menu\.c32$/i;

export function pxelinuxDefaultEntry(cfg: PxelinuxCfg): PxelinuxDefault {
  const defaultTarget = cfg.defaultLine?.args.trim() ?? "";
  const defaultFirstWord = defaultTarget.split(/\s+/)[0] ?? "";
  const menu = cfg.ui !== undefined || MENU_MODULE.test(defaultFirstWord);
  const timeout = cfg.timeout !== undefined && Number.isFinite(cfg.timeout) ? cfg.timeout : 0;
  const prompt = cfg.globalLines.findLast((l) => l.keyword === "prompt");
  const waits = menu || (prompt !== undefined && Number(prompt.args.trim()) !== 0);
  if (waits && timeout > 0 && cfg.ontimeout && cfg.ontimeout.args.trim() !== "")
    return resolve(cfg, cfg.ontimeout.args.trim(), cfg.ontimeout, "ONTIMEOUT");
  if (menu) {
    let marked: PxelinuxLabel | undefined;
    for (const l of cfg.labels) if (l.menuDefault && !l.inSubmenu) marked = l;
    if (marked) return { kind: "label", label: marked, by: marked.menuDefault, how: "MENU DEFAULT" };
    if (cfg.defaultLine && !MENU_MODULE.test(defaultFirstWord)) {
      const label = findLabel(cfg, defaultTarget);
      if (label) return { kind: "label", label, by: cfg.defaultLine, how: "DEFAULT" };
    }
    const first = cfg.labels.find((l) => !l.inSubmenu);
    if (first)
      return { kind: "label", label: first, by: cfg.ui ?? cfg.defaultLine, how: "the menu's first entry" };
    return { kind: "none", why: "a menu without labels" };
  }
  if (cfg.defaultLine && defaultTarget !== "") return resolve(cfg, defaultTarget, cfg.defaultLine, "DEFAULT");
  return { kind: "none", why: "no DEFAULT, UI or ONTIMEOUT" };
}

function resolve(cfg: PxelinuxCfg, target: string, by: PxelinuxLine, how: string): PxelinuxDefault {
  const label = findLabel(cfg, target);
  if (label) return { kind: "label", label, by, how };
  return { kind: "command", command: target, by };
}

/** The first label of that name, else of that name in another case. */
function findLabel(cfg: PxelinuxCfg, name: string): PxelinuxLabel | undefined {
  const lower = name.toLowerCase();
  return cfg.labels.find((l) => l.name === name) ?? cfg.labels.find((l) => l.name.toLowerCase() === lower);
}
