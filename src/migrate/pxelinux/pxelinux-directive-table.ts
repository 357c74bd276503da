/**
 * pxelinux.cfg directives (syslinux's doc/syslinux.txt and doc/menu.txt),
 * as data: which are known, which take the rest of their line (a label
 * name or a kernel command line, so a line joined to them would be
 * swallowed), which apply to the whole file wherever they are written,
 * and why a directive inside a label is not mapped.
 */

/** Directive keywords as they are written, in capitals: one inside another line's arguments starts a new line. */
const DIRECTIVES: ReadonlySet<string> = new Set([
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
const TAKES_REST_OF_LINE: ReadonlySet<string> = new Set([
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

/** Every directive pxelinux knows, lower case. */
const KNOWN: ReadonlySet<string> = new Set(
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

/** Directives that apply to the whole file, even when written inside a label. */
const GLOBAL: ReadonlySet<string> = new Set([
  "default",
  "timeout",
  "ontimeout",
  "prompt",
  "ui",
  "totaltimeout",
]);

export const PXELINUX_DIRECTIVE_TABLE = {
  /** `word` as written is a directive keyword (capitals). */
  isDirective(word: string): boolean {
    return DIRECTIVES.has(word);
  },
  takesRestOfLine(keyword: string): boolean {
    return TAKES_REST_OF_LINE.has(keyword);
  },
  isKnown(keyword: string): boolean {
    return KNOWN.has(keyword);
  },
  isGlobal(keyword: string): boolean {
    return GLOBAL.has(keyword);
  },
  /** Why a directive written in a label is kept as a comment. */
  whyNotMappedInLabel(keyword: string): string {
    if (keyword === "ipappend" || keyword === "sysappend")
      return "mapped by design: bootfleet puts the address and BOOTIF on the kernel command line itself";
    if (keyword === "menu" || keyword === "text" || keyword === "endtext")
      return "not mapped: the image's description is its menu text";
    return `not mapped: bootfleet has no equivalent of ${keyword.toUpperCase()}`;
  },
} as const;
