/**
 * MAC addresses as clients spell them in URLs and TFTP paths: iPXE's
 * `${net0/mac}` gives `52:54:00:12:34:56`, pxelinux asks for
 * `pxelinux.cfg/01-52-54-00-12-34-56`, GRUB for `grub.cfg-01-52-54-00-12-34-56`,
 * `${net0/mac:hexhyp}` gives hyphens and some tools give bare hex.
 */

const FORMS = [
  /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})-([0-9a-f]{2})-([0-9a-f]{2})-([0-9a-f]{2})-([0-9a-f]{2})-([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i,
];

/** `aa:bb:cc:dd:ee:ff` (lower case) from any of the three spellings; null if it is none. */
export function parseMac(text: string): string | null {
  for (const form of FORMS) {
    const m = form.exec(text);
    if (m) return m.slice(1, 7).join(":").toLowerCase();
  }
  return null;
}

/** `aa-bb-cc-dd-ee-ff`: the spelling pxelinux and GRUB use in file names. */
export function macWithHyphens(mac: string): string {
  return mac.replaceAll(":", "-");
}
