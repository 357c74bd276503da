/**
 * What a simulated machine takes from the iPXE script its server returns,
 * read as iPXE reads a straight-line script: `kernel URL ARGS...` (the
 * kernel and its command line) and each `initrd [--name NAME] URL`. The
 * storm fetches what the script names, in its order, and takes the NBD
 * export, the report endpoint, the MAC and the layer cpio from the command
 * line as the client hook does (src/client-hook/bootfleet-init.sh).
 */
export interface BootScript {
  readonly kernel: string;
  readonly initrds: readonly string[];
  /** `key=value` arguments of the kernel line, the last of a key winning as in the hook. */
  readonly args: ReadonlyMap<string, string>;
}

/** The iPXE settings a script may name that the storm knows: the booting NIC's MAC. */
const MAC_SETTINGS: readonly (readonly [string, (mac: string) => string])[] = [
  // biome-ignore lint/suspicious/noTemplateCurlyInString: iPXE setting syntax, expanded here as iPXE would
  ["${net0/mac:hexhyp}", (mac) => mac.replaceAll(":", "-")],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: iPXE setting syntax
  ["${net0/mac}", (mac) => mac],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: iPXE setting syntax
  ["${mac}", (mac) => mac],
];

function expandSettings(line: string, mac: string): string {
  return MAC_SETTINGS.reduce((text, [name, value]) => text.replaceAll(name, value(mac)), line);
}

/** iPXE's image options (`--name`, `--timeout` take a value) dropped from the front of the words. */
function withoutOptions(words: readonly string[]): string[] {
  const rest = [...words];
  while (rest[0]?.startsWith("-")) rest.splice(0, /^(--name|-n|--timeout|-t)$/.test(rest[0]) ? 2 : 1);
  return rest;
}

export function parseBootScript(text: string, scriptUrl: string, mac: string): BootScript {
  if (!text.startsWith("#!ipxe")) throw new Error(`boot script ${scriptUrl} does not start with #!ipxe`);
  let kernel: string | undefined;
  const initrds: string[] = [];
  const args = new Map<string, string>();
  for (const raw of text.split("\n")) {
    // `cmd || goto next`: what follows || runs only when cmd fails.
    const words = expandSettings(raw.trim(), mac).split(" || ")[0]!.split(/\s+/);
    const verb = words[0];
    // The first attempt ends at its `boot`; the rest are fallbacks for a failed fetch.
    if (verb === "boot" && kernel) break;
    if (verb === "kernel" || verb === "chain") {
      const rest = withoutOptions(words.slice(1));
      const url = rest[0];
      if (!url) throw new Error(`boot script ${scriptUrl}: "${raw}" names no file`);
      kernel = new URL(url, scriptUrl).href;
      for (const w of rest.slice(1)) {
        const eq = w.indexOf("=");
        if (eq > 0) args.set(w.slice(0, eq), w.slice(eq + 1));
      }
    } else if (verb === "initrd") {
      const rest = withoutOptions(words.slice(1));
      if (!rest[0]) throw new Error(`boot script ${scriptUrl}: "${raw}" names no file`);
      initrds.push(new URL(rest[0], scriptUrl).href);
    }
  }
  if (!kernel) throw new Error(`boot script ${scriptUrl} has no kernel line`);
  return { kernel, initrds, args };
}
