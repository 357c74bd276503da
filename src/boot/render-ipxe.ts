/**
 * The per-machine iPXE script, fetched as /boot/<mac>.ipxe.
 *
 * An image boots in attempts: one from this server, then one from each
 * fallback server (the layer's `servers:`, fallback-servers.ts). An attempt
 * frees every image, fetches the kernel and initrds and boots; any command of
 * it that fails (iPXE prints why) jumps to the next attempt with `|| goto`.
 * Without `||` a failed command would end the script, and iPXE does not go
 * back to DHCP after a failed boot. When every attempt failed the script
 * says so, waits, and asks DHCP again: under `ha:` the surviving server
 * answers once the dead one's heartbeat is `failover_after` old, and its
 * answer names its own script, which replaces this one.
 *
 * iPXE semantics relied on (ipxe/ipxe src/usr/imgmgmt.c, image_cmd.c, as in
 * Debian's 1.0.0+git-20190125): a download that fails is never registered,
 * but the files of an attempt that got further stay registered, and a BIOS
 * kernel takes every other registered image as an initrd (bzimage.c), the EFI
 * stub takes the first one of a name: so each attempt starts with `imgfree`
 * (all images; the running script is unregistered while it runs,
 * src/image/script.c). `--timeout` is an idle timeout (monojob_wait resets
 * it on progress): a server whose host vanished mid-transfer sends no RST,
 * and without it the download would wait for ever. `chain --replace`
 * tail-calls the next script, so a fleet that retries for hours does not
 * nest scripts.
 *
 * With a menu the script is `menu`/`item`/`choose` and one label per image.
 *
 * Firmware quirk: the Debian ipxe.efi/snponly.efi (1.0.0+git-20190125) boot
 * the kernel through its EFI stub, which loads initrds only when they are
 * named on the command line (`initrd=<name>`) and registered under that name
 * (`initrd --name <name> <url>`). BIOS iPXE ignores both, so every script
 * carries them.
 */
import type { BootEntry, BootFile, BootPlan } from "./boot-plan.js";
import { macWithHyphens } from "./mac-address.js";

/** iPXE expands ${...} everywhere in a line; text from the config must not reach it. */
function ipxeText(text: string): string {
  return text.replaceAll("$", "").replace(/[\u0000-\u001f\u007f]/g, " ");
}

function header(plan: BootPlan): string[] {
  const who = plan.hostname ? `${plan.hostname} ${plan.mac}` : plan.mac;
  const lines = [
    "#!ipxe",
    `# bootfleet: ${ipxeText(who)}, ${plan.arch.label}`,
    "# Generated for this machine; edit the fleet config, not this file.",
  ];
  for (const w of plan.warnings) lines.push(`# warning: ${ipxeText(w)}`);
  return lines;
}

/** Milliseconds without a byte before a download is given up and the next server tried. */
const STALL_TIMEOUT_MS = 30_000;
/** Seconds between the last failed attempt and asking DHCP again. */
const RETRY_DELAY_S = 10;
/** Where every attempt at every image ends up when it fails. */
const FAILED = "failed";

function imageLabel(entry: BootEntry): string {
  return `image-${entry.id}`;
}

/** Label of attempt `n` (0: this server, 1..: the fallbacks) at booting `entry`. */
function attemptLabel(entry: BootEntry, n: number): string {
  return n === 0 ? imageLabel(entry) : `${imageLabel(entry)}-from-${n + 1}`;
}

function entryLines(plan: BootPlan, entry: BootEntry): string[] {
  const args = [
    ...entry.initrds.map((f) => `initrd=${f.name}`),
    `BOOTIF=01-${macWithHyphens(plan.mac)}`,
    ...entry.args,
  ];
  const what = ipxeText(`${entry.image.name}@${entry.image.version}`);
  const sources: readonly { readonly host: string | null; readonly url: (f: BootFile) => string }[] = [
    { host: null, url: (f) => f.url },
    ...plan.fallbacks.map((s) => ({ host: s.address, url: (f: BootFile) => `${s.httpBase}/${f.httpPath}` })),
  ];
  const lines: string[] = [];
  sources.forEach((source, n) => {
    const next = n + 1 < sources.length ? attemptLabel(entry, n + 1) : FAILED;
    const orNext = `|| goto ${next}`;
    const fetch = `--timeout ${STALL_TIMEOUT_MS}`;
    if (n > 0) lines.push("", `:${attemptLabel(entry, n)}`);
    lines.push(
      `echo bootfleet: ${what}${source.host ? ` from ${source.host}` : ""}`,
      "imgfree",
      `kernel ${fetch} ${source.url(entry.kernel)} ${args.join(" ")} ${orNext}`,
      ...entry.initrds.map((f) => `initrd ${fetch} --name ${f.name} ${source.url(f)} ${orNext}`),
      `boot ${orNext}`,
    );
  });
  return lines;
}

/** The end of every failed attempt: say so, wait, and start again from DHCP. */
function failedLines(): string[] {
  return [
    "",
    `:${FAILED}`,
    `echo bootfleet: could not fetch the boot files of this machine, asking DHCP again in ${RETRY_DELAY_S} s`,
    `sleep ${RETRY_DELAY_S}`,
    `dhcp || goto ${FAILED}`,
    // \${filename}: iPXE's, the boot file of the DHCP answer just received.
    `chain --replace --autofree \${filename} || goto ${FAILED}`,
  ];
}

export function renderIpxeScript(plan: BootPlan): string {
  const lines = header(plan);
  const first = plan.entries[0];
  if (!first) throw new Error("renderIpxeScript: a plan has at least one entry");
  if (plan.menu === null) {
    lines.push(...entryLines(plan, first), ...failedLines());
    return lines.join("\n") + "\n";
  }
  const menu = plan.menu;
  const label = imageLabel;
  lines.push(":start", `menu ${ipxeText(menu.title)}`);
  for (const e of plan.entries) lines.push(`item ${label(e)} ${ipxeText(e.label)}`);
  if (menu.local || menu.shell) lines.push("item --gap --");
  if (menu.local) lines.push("item local Boot from local disk");
  if (menu.shell) lines.push("item shell iPXE shell");
  // choose fails on Escape: boot the default rather than stop the script.
  lines.push(
    `choose --default ${label(first)} --timeout ${menu.timeout * 1000} target || goto ${label(first)}`,
  );
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${target} is iPXE syntax, expanded by iPXE
  lines.push("goto ${target}");
  for (const e of plan.entries) lines.push("", `:${label(e)}`, ...entryLines(plan, e));
  if (menu.local) {
    lines.push("", ":local");
    // BIOS: hand INT 13h drive 0x80 to the boot sector. UEFI: leaving iPXE
    // returns to the firmware, which tries the next boot option (the disk).
    if (plan.arch.firmware === "bios") lines.push("sanboot --no-describe --drive 0x80 || exit");
    else lines.push("exit");
  }
  if (menu.shell) lines.push("", ":shell", "shell", "goto start");
  lines.push(...failedLines());
  return lines.join("\n") + "\n";
}
