/**
 * A boot stack under the storm: the processes that serve DHCP, TFTP, HTTP
 * and NBD, started in the bench's server namespace on the same network and
 * image files. The bench reads their CPU time and memory through their
 * PIDs (with their children) and stops them by PID.
 */
export interface StormStack {
  readonly name: string;
  /** The root PID of each server process; their descendants count too. */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}
