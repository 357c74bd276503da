/** The boot states a machine can be in, in boot order (see src/store/machine-state-for.ts). */
export const MACHINE_STATES = ["off", "dhcp", "loading", "root-mounted", "up", "failed"];

export const STATE_HELP = {
  off: "not seen booting (or said goodbye with a DHCP RELEASE)",
  dhcp: "asking for an address and boot information",
  loading: "loading the boot loader, kernel and initrd",
  "root-mounted": "root image mounted over NBD, layers being applied",
  up: "init started: the machine is up",
  failed: "the client hook reported a failed boot",
};
