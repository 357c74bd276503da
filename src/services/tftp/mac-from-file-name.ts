/**
 * The MAC a requested file name carries, so TFTP events name the machine:
 * pxelinux's and GRUB's "01-aa-bb-cc-dd-ee-ff" (ARP type 1 + MAC, dashes),
 * and a MAC written with colons or dashes in a per-machine iPXE script name.
 * Returns lower-case, colon-separated, or undefined.
 */
const PXELINUX = /(?:^|[^0-9a-f])01-((?:[0-9a-f]{2}-){5}[0-9a-f]{2})(?![0-9a-f]|[-:][0-9a-f])/i;
const PLAIN = /(?:^|[^0-9a-f:-])((?:[0-9a-f]{2}[-:]){5}[0-9a-f]{2})(?![0-9a-f]|[-:][0-9a-f])/i;

export function macFromFileName(path: string): string | undefined {
  const m = PXELINUX.exec(path) ?? PLAIN.exec(path);
  if (m === null) return undefined;
  const raw = m[1]!;
  // Both separators must agree: "aa-bb:cc..." is not a MAC anyone writes.
  if (raw.includes("-") && raw.includes(":")) return undefined;
  return raw.toLowerCase().replaceAll("-", ":");
}
