/**
 * pxelinux.cfg/01-<mac> for BIOS machines on `loader: pxelinux`, in the
 * layout LTSP servers write and their admins know: one LABEL per image, `initrd=` with the image's
 * initrd and the layer cpio comma-separated in APPEND, and `IPAPPEND 2`, which
 * makes pxelinux add BOOTIF=01-<mac> so the initramfs brings up the interface
 * the machine booted from. Paths are TFTP paths relative to pxelinux.0.
 *
 * With a menu it needs menu.c32 (Debian's syslinux-common) beside
 * pxelinux.0; without one the file uses nothing but pxelinux itself.
 */
import type { BootEntry, BootPlan } from "./boot-plan.js";

function line(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, " ");
}

/** pxelinux labels are single words. */
function label(e: BootEntry): string {
  return e.id;
}

function entryLines(entry: BootEntry): string[] {
  // None for a kernel that mounts its NFS root itself.
  const initrd = entry.initrds.length > 0 ? [`initrd=${entry.initrds.map((f) => f.tftpPath).join(",")}`] : [];
  return [
    `LABEL ${label(entry)}`,
    `  MENU LABEL ${line(entry.label)}`,
    `  KERNEL ${entry.kernel.tftpPath}`,
    `  APPEND ${[...initrd, ...entry.args].join(" ")}`,
    "  IPAPPEND 2",
  ];
}

export function renderPxelinuxConfig(plan: BootPlan): string {
  const first = plan.entries[0];
  if (!first) throw new Error("renderPxelinuxConfig: a plan has at least one entry");
  const who = plan.hostname ? `${plan.hostname} ${plan.mac}` : plan.mac;
  const lines = [
    `# bootfleet: ${line(who)}, ${plan.arch.label}`,
    "# Generated for this machine; edit the fleet config, not this file.",
  ];
  for (const w of plan.warnings) lines.push(`# warning: ${line(w)}`);
  if (plan.menu === null) {
    lines.push(`DEFAULT ${label(first)}`, "PROMPT 0", "", ...entryLines(first));
    return lines.join("\n") + "\n";
  }
  lines.push(
    "UI menu.c32",
    `MENU TITLE ${line(plan.menu.title)}`,
    `DEFAULT ${label(first)}`,
    `ONTIMEOUT ${label(first)}`,
    // TIMEOUT is in tenths of a second.
    `TIMEOUT ${plan.menu.timeout * 10}`,
  );
  for (const e of plan.entries) lines.push("", ...entryLines(e));
  if (plan.menu.local) lines.push("", "LABEL local", "  MENU LABEL Boot from local disk", "  LOCALBOOT 0");
  return lines.join("\n") + "\n";
}
