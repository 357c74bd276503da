/**
 * grub/grub.cfg-01-<mac> for UEFI machines on `loader: grub` (Debian's
 * grubnetx64.efi / grubnetaa64.efi), and grub/grub.cfg, which hands on to it.
 *
 * Which file GRUB reads first depends on how the image was made. One from
 * grub-mknetdir runs `normal` without a file and so searches its prefix
 * (`(tftp,<server>)/grub`) for grub.cfg-01-<mac with hyphens>, then by IP,
 * then grub.cfg. Debian's signed grubnetx64.efi runs `normal (memdisk)/grub.cfg`
 * instead, which sources `$prefix/x86_64-efi/grub.cfg` if it exists, else
 * `$prefix/grub.cfg`, and never searches by MAC (seen in QEMU/OVMF,
 * test/e2e/grub-boot.test.ts). So grub/grub.cfg (renderGrubDispatch) sources
 * grub.cfg-01-<mac> itself.
 *
 * Kernel and initrds are loaded from GRUB's root, the TFTP server it came
 * from, not over HTTP: Debian's signed network images have tftp built in but
 * not http (`linux (http,...)` makes them look for $prefix/x86_64-efi/http.mod,
 * which with Secure Boot on they would refuse to load anyway).
 * Every kernel argument is single-quoted: GRUB's script lexer would
 * otherwise expand `$` and strip the double quotes of `key="a b"`.
 *
 * An entry boots in attempts: from GRUB's root first, then from each
 * fallback server (the layer's `servers:`) as `(tftp,<address>)/path`. Each
 * is `if linux ...; then if initrd ...; then boot; fi; fi`: a failed command
 * prints GRUB's error and sets `$?`, and `if` clears the error so the entry
 * goes on (grub-core/script/execute.c, grub_script_execute_cmdif) to the next
 * attempt. `boot` runs only when `linux` and `initrd` of one attempt both
 * succeeded, and each `linux` sets the loader anew, so nothing of a failed
 * attempt is booted. When every
 * attempt failed the entry says so, waits and reboots: the firmware's PXE
 * asks DHCP again, which under `ha:` the surviving server answers (`sleep`
 * and `reboot` are built into Debian's signed grubnetx64, grubnetaa64 and
 * grubx64 images, as `tftp` and `regexp` are). GRUB has
 * no stall timeout of its own to set: its TFTP gives up after its retries.
 */
import type { BootEntry, BootFile, BootPlan } from "./boot-plan.js";
import { macWithHyphens } from "./mac-address.js";

function grubQuote(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, " ");
  return `'${clean.replaceAll("'", `'\\''`)}'`;
}

function comment(text: string): string {
  return text.replace(/[\r\n]/g, " ");
}

/** Seconds between the last failed attempt and the reboot. */
const RETRY_DELAY_S = 10;

function entryLines(plan: BootPlan, entry: BootEntry): string[] {
  const args = [`BOOTIF=01-${macWithHyphens(plan.mac)}`, ...entry.args].map(grubQuote);
  const what = `${entry.image.name}@${entry.image.version}`;
  // GRUB's root (the TFTP server it came from), then each fallback's.
  const sources = [
    { device: "", note: "" },
    ...plan.fallbacks.map((s) => ({ device: `(tftp,${s.address})`, note: ` from ${s.address}` })),
  ];
  const lines = [`menuentry ${grubQuote(entry.label)} --id ${grubQuote(entry.id)} {`];
  for (const { device, note } of sources) {
    const path = (f: BootFile): string => `${device}/${f.tftpPath}`;
    lines.push(
      `  echo ${grubQuote(`bootfleet: loading ${what}${note}`)}`,
      `  if linux ${path(entry.kernel)} ${args.join(" ")}; then`,
    );
    // None for a kernel that mounts its NFS root itself: GRUB's initrd wants a file.
    if (entry.initrds.length > 0) {
      lines.push(`    if initrd ${entry.initrds.map(path).join(" ")}; then`, "      boot", "    fi");
    } else {
      lines.push("    boot");
    }
    lines.push("  fi");
  }
  lines.push(
    `  echo ${grubQuote(`bootfleet: could not fetch the boot files of this machine, rebooting in ${RETRY_DELAY_S} s`)}`,
    `  sleep ${RETRY_DELAY_S}`,
    "  reboot",
    "}",
  );
  return lines;
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

/**
 * grub/grub.cfg: the same for every machine, since the server cannot tell
 * who asks (GRUB's request carries no MAC, and in proxy mode the address is
 * not ours). It sources this machine's grub.cfg-01-<mac>, spelling the MAC
 * GRUB booted from (`net_default_mac`, "52:54:00:12:34:56") with hyphens
 * through `regexp`, which Debian's network images have built in. With no
 * plan for the machine that file is not found, and GRUB stops at its prompt
 * below the message.
 */
export function renderGrubDispatch(): string {
  const octet = "([0-9a-fA-F][0-9a-fA-F])";
  const pattern = `^${Array.from({ length: 6 }, () => octet).join(":")}$`;
  const sets = [1, 2, 3, 4, 5, 6].map((n) => `--set=${n}:bf_m${n}`).join(" ");
  return [
    "# bootfleet: hands on to this machine's own grub.cfg-01-<mac>.",
    "# Generated; edit the fleet config, not this file.",
    `if regexp ${sets} '${pattern}' "$net_default_mac"; then`,
    '  source "$prefix/grub.cfg-01-$bf_m1-$bf_m2-$bf_m3-$bf_m4-$bf_m5-$bf_m6"',
    "fi",
    'if [ -z "$default" ]; then',
    '  echo "bootfleet: no boot plan for $net_default_mac (bootfleet explain $net_default_mac says why)"',
    "fi",
    "",
  ].join("\n");
}
