/**
 * grub/grub.cfg-01-<mac> for UEFI machines on `loader: grub` (Debian's
 * grubnetx64.efi / grubnetaa64.efi). A network GRUB looks in its prefix
 * (`(tftp,<server>)/grub`) for grub.cfg-01-<mac with hyphens>, then by IP,
 * then grub.cfg; so the per-machine name is found first.
 *
 * Kernel and initrds are loaded from GRUB's root, the TFTP server it came
 * from. Every kernel argument is single-quoted: GRUB's script lexer would
 * otherwise expand `$` and strip the double quotes of `key="a b"`.
 */
import type { BootEntry, BootPlan } from "./boot-plan.js";
import { macWithHyphens } from "./mac-address.js";

function grubQuote(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, " ");
  return `'${clean.replaceAll("'", `'\\''`)}'`;
}

function comment(text: string): string {
  return text.replace(/[\r\n]/g, " ");
}

function entryLines(plan: BootPlan, entry: BootEntry): string[] {
  const args = [`BOOTIF=01-${macWithHyphens(plan.mac)}`, ...entry.args].map(grubQuote);
  return [
    `menuentry ${grubQuote(entry.label)} --id ${grubQuote(entry.id)} {`,
    `  echo ${grubQuote(`bootfleet: loading ${entry.image.name}@${entry.image.version}`)}`,
    `  linux /${entry.kernel.tftpPath} ${args.join(" ")}`,
    `  initrd ${entry.initrds.map((f) => `/${f.tftpPath}`).join(" ")}`,
    "}",
  ];
}

export function renderGrubConfig(plan: BootPlan): string {
  const first = plan.entries[0];
  if (!first) throw new Error("renderGrubConfig: a plan has at least one entry");
  const who = plan.hostname ? `${plan.hostname} ${plan.mac}` : plan.mac;
  const lines = [
    `# bootfleet: ${comment(who)}, ${plan.arch.label}`,
    "# Generated for this machine; edit the fleet config, not this file.",
  ];
  for (const w of plan.warnings) lines.push(`# warning: ${comment(w)}`);
  lines.push(`set default=${grubQuote(first.id)}`, `set timeout=${plan.menu?.timeout ?? 0}`);
  if (plan.menu) lines.push("set timeout_style=menu");
  const entries = plan.menu ? plan.entries : [first];
  for (const e of entries) lines.push("", ...entryLines(plan, e));
  if (plan.menu?.local) {
    // Leaving GRUB returns to the firmware's boot manager, which tries the next option.
    lines.push("", `menuentry 'Boot from local disk' --id 'local' {`, "  exit", "}");
  }
  return lines.join("\n") + "\n";
}
