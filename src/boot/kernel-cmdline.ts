/**
 * The kernel command line bootfleet gives every client. The `bootfleet.*`
 * parameters are read by the client hook, which `bootfleet image build`
 * makes the /init of the image's initramfs (src/client-hook/bootfleet-init.sh):
 *
 *   bootfleet.server=IP              the server
 *   bootfleet.nbd=IP:PORT/EXPORT     root image over NBD, EXPORT = <image>@<version>
 *   bootfleet.root=ram               instead of nbd= (config root: ram), with
 *   bootfleet.root_url=URL           the image version's root.squashfs on the HTTP service,
 *   bootfleet.root_sha256=HEX        its sha256 and
 *   bootfleet.root_bytes=N           its size from the manifest: fetched into RAM and checked
 *   bootfleet.http=URL               base URL of the HTTP service
 *   bootfleet.mac=MAC                the booting interface
 *   bootfleet.hostname=NAME          when the config or DHCP gives one
 *   bootfleet.layers=URL             the layer cpio again (to re-apply layers later)
 *   bootfleet.cow=1                  private copy-on-write NBD layer (config nbd.cow)
 *   bootfleet.servers=IP,IP          every server holding the image (config servers:),
 *                                    tried in turn for the NBD root and HTTP fetches
 *   bootfleet.syslog=IP:PORT         where to send logs, when the syslog service runs
 *   bootfleet.<name>=VALUE           from a setting BOOTFLEET_<NAME> (lower-cased) whose
 *                                    value has no spaces; every setting is also in the
 *                                    layer cpio's /etc/bootfleet/settings.env
 * then console=, then the image's kernel_args, then every layer's
 * kernel_args in order (defaults first, host last), so the most specific wins
 * where the kernel takes the last value.
 */

/** Hostnames and similar tokens that go on the command line unquoted. */
const PLAIN_TOKEN = /^[A-Za-z0-9._:@/+,=-]+$/;

/**
 * `key=value` for the command line, or null when the value cannot be written
 * there: the client hook splits /proc/cmdline on white space (it cannot read
 * the kernel's `key="a b"` quoting), so values with spaces, quotes or control
 * characters stay in settings.env only.
 */
export function kernelParam(key: string, value: string): string | null {
  return PLAIN_TOKEN.test(value) ? `${key}=${value}` : null;
}

/** Free text from the config (kernel_args, console) as separate words; newlines are spaces. */
export function splitArgs(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

/** `console: "tty0 ttyS0,115200"` -> console=tty0 console=ttyS0,115200 (the last is /dev/console). */
export function consoleArgs(console: string): string[] {
  return splitArgs(console).map((c) => (c.startsWith("console=") ? c : `console=${c}`));
}

/** A hostname fit for the command line and for `hostname(1)` (RFC 1123 letters, digits, hyphens, dots). */
export function isSafeHostname(name: string): boolean {
  return /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$/.test(name);
}

/** x86 kernels keep 2048 bytes of command line (COMMAND_LINE_SIZE); more is cut silently. */
export const COMMAND_LINE_LIMIT = 2048;
