/**
 * What a machine's loader is told to load for its default entry, read back
 * from the very text the planner serves it (the iPXE script, the pxelinux
 * config or the GRUB config), so `bootfleet explain` shows the kernel,
 * initrds and command line exactly as the loader gets them, and cannot
 * drift from the renderers by computing them a second time.
 */
import type { BootPlan } from "./boot-plan.js";
import { renderGrubConfig } from "./render-grub.js";
import { renderIpxeScript } from "./render-ipxe.js";
import { renderPxelinuxConfig } from "./render-pxelinux.js";

export interface LoaderBootLine {
  /** The kernel as the loader fetches it: a URL for iPXE, a TFTP path for pxelinux and GRUB. */
  readonly kernel: string;
  /** In the order they are loaded (later files win); none for a kernel that mounts NFS itself. */
  readonly initrds: readonly string[];
  /**
   * The kernel's command line as the generated config writes it. pxelinux
   * adds `ip=...` and `BOOTIF=01-<mac>` at boot (IPAPPEND 2), which its
   * config cannot show.
   */
  readonly cmdline: string;
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

/**
 * An iPXE command's words without its options (`--name N`, `--timeout MS`,
 * bare `--flags`) and without the `|| goto failed` the fallback across
 * servers appends.
 */
function ipxeArguments(line: string): string[] {
  const command = line.replace(/\s+\|\|.*$/, "");
  const out: string[] = [];
  const all = words(command).slice(1);
  for (let i = 0; i < all.length; i++) {
    const w = all[i]!;
    if (out.length === 0 && (w === "--name" || w === "--timeout")) i++;
    else if (out.length === 0 && w.startsWith("--")) continue;
    else out.push(w);
  }
  return out;
}

/**
 * iPXE: the first `kernel URL ARGS` (the default entry comes first, and its
 * first attempt is this server) and the `initrd` lines after it.
 */
function fromIpxe(script: string): LoaderBootLine | null {
  const lines = script.split("\n").map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith("kernel "));
  if (at < 0) return null;
  const [kernel = "", ...args] = ipxeArguments(lines[at]!);
  const initrds: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith("initrd ")) break;
    const [url] = ipxeArguments(l);
    if (url) initrds.push(url);
  }
  return { kernel, initrds, cmdline: args.join(" ") };
}

/** pxelinux: the DEFAULT label's KERNEL and APPEND, whose `initrd=` lists the initrds. */
function fromPxelinux(config: string): LoaderBootLine | null {
  const lines = config.split("\n").map((l) => l.trim());
  const name = lines.find((l) => l.startsWith("DEFAULT "))?.slice("DEFAULT ".length);
  const at = lines.indexOf(`LABEL ${name}`);
  if (name === undefined || at < 0) return null;
  let kernel = "";
  let append = "";
  for (const l of lines.slice(at + 1)) {
    if (l.startsWith("LABEL ")) break;
    if (l.startsWith("KERNEL ")) kernel = l.slice("KERNEL ".length);
    if (l.startsWith("APPEND ")) append = l.slice("APPEND ".length);
  }
  const initrd = words(append).find((w) => w.startsWith("initrd="));
  return { kernel, initrds: initrd ? initrd.slice("initrd=".length).split(",") : [], cmdline: append };
}

/** GRUB: the first menuentry's `linux PATH ARGS` and `initrd PATH...` (GRUB quotes each argument). */
function fromGrub(config: string): LoaderBootLine | null {
  const lines = config.split("\n").map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith("linux "));
  if (at < 0) return null;
  const unquote = (w: string): string => w.replace(/^'(.*)'$/, "$1").replaceAll(`'\\''`, "'");
  const [kernel = "", ...args] = words(lines[at]!.slice("linux ".length)).map(unquote);
  const next = lines[at + 1] ?? "";
  const initrds = next.startsWith("initrd ") ? words(next.slice("initrd ".length)) : [];
  return { kernel, initrds, cmdline: args.join(" ") };
}

export function loaderBootLine(plan: BootPlan): LoaderBootLine | null {
  switch (plan.chain.loader) {
    case "ipxe":
      return fromIpxe(renderIpxeScript(plan));
    case "pxelinux":
      return fromPxelinux(renderPxelinuxConfig(plan));
    case "grub":
      return fromGrub(renderGrubConfig(plan));
  }
}
