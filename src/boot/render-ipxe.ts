/**
 * The per-machine iPXE script, fetched as /boot/<mac>.ipxe.
 *
 * Without a menu the script is straight-line: kernel, initrds, boot; no goto,
 * so a failed fetch stops the script with iPXE's own error on screen. With a
 * menu it is `menu`/`item`/`choose` and one label per image.
 *
 * Firmware quirk: the Debian ipxe.efi/snponly.efi (1.0.0+git-20190125) boot
 * the kernel through its EFI stub, which loads initrds only when they are
 * named on the command line (`initrd=<name>`) and registered under that name
 * (`initrd --name <name> <url>`). BIOS iPXE ignores both, so every script
 * carries them.
 */
import type { BootEntry, BootPlan } from "./boot-plan.js";
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

function entryLines(plan: BootPlan, entry: BootEntry): string[] {
  const args = [
    ...entry.initrds.map((f) => `initrd=${f.name}`),
    `BOOTIF=01-${macWithHyphens(plan.mac)}`,
    ...entry.args,
  ];
  return [
    `echo bootfleet: ${ipxeText(`${entry.image.name}@${entry.image.version}`)}`,
    `kernel ${entry.kernel.url} ${args.join(" ")}`,
    ...entry.initrds.map((f) => `initrd --name ${f.name} ${f.url}`),
    "boot",
  ];
}

export function renderIpxeScript(plan: BootPlan): string {
  const lines = header(plan);
  const first = plan.entries[0];
  if (!first) throw new Error("renderIpxeScript: a plan has at least one entry");
  if (plan.menu === null) {
    lines.push(...entryLines(plan, first));
    return lines.join("\n") + "\n";
  }
  const menu = plan.menu;
  const label = (e: BootEntry): string => `image-${e.id}`;
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
  return lines.join("\n") + "\n";
}
