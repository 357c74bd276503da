/**
 * A machine's last boot state after one event, given the state it was in:
 * off | dhcp | loading | root-mounted | up | failed. undefined: the event
 * says nothing about the state (keep it).
 */
export interface StateEvent {
  readonly type: string;
  readonly stage?: string | undefined;
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

/** client.stage stages (reported by the client hook) to states. */
const STAGE_STATES: Readonly<Record<string, string>> = {
  initrd: "loading",
  "root-mounted": "root-mounted",
  "layers-applied": "root-mounted",
  init: "up",
  failed: "failed",
};

/** States a DHCP exchange other than a DISCOVER may move to "dhcp": not a running boot. */
const RESTARTABLE = new Set(["off", "failed", "dhcp"]);

export function machineStateFor(event: StateEvent, current: string | null): string | undefined {
  const { type } = event;
  if (type === "client.stage") return event.stage === undefined ? undefined : STAGE_STATES[event.stage];
  if (type.startsWith("dhcp.")) {
    // A DISCOVER starts a boot (PXE ROM, iPXE, the initramfs all send one).
    if (type === "dhcp.discover") return "dhcp";
    // A RELEASE is a machine saying goodbye (dhclient -r at shutdown).
    if (type === "dhcp.release") return "off";
    // A REQUEST/ACK from a machine that is loading or up is a renewal
    // (RFC 2131 4.4.5): its boot state stays.
    return current === null || RESTARTABLE.has(current) ? "dhcp" : undefined;
  }
  if (type.startsWith("tftp.") || type.startsWith("http.")) {
    // A failed transfer is retried or ends in a failed stage; it moves nothing.
    if (type.endsWith(".error")) return undefined;
    return isKernelDownload(event.detail) ? "loading" : undefined;
  }
  return undefined;
}

/**
 * A TFTP or HTTP transfer of a kernel or an initrd: by `detail.kind` when the
 * service knows it, else by the file name (vmlinuz*, linux, bzImage, kernel*,
 * initrd*, initramfs*) in detail.file, detail.path or detail.url.
 */
function isKernelDownload(detail: Readonly<Record<string, unknown>> | undefined): boolean {
  if (!detail) return false;
  const kind = detail.kind;
  if (kind === "kernel" || kind === "initrd") return true;
  for (const key of ["file", "path", "url"]) {
    const v = detail[key];
    if (typeof v !== "string") continue;
    const base = (v.split("?")[0] ?? "").split("/").pop() ?? "";
    if (/^(vmlinuz|vmlinux|linux$|bzimage|kernel|initrd|initramfs)/i.test(base)) return true;
  }
  return false;
}
