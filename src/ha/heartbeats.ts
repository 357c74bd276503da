/** Where servers sharing a fleet leave their heartbeats (src/store/postgres/postgres-heartbeats.ts). */
export interface Heartbeats {
  /** Records that `name` is alive now. */
  beat(name: string, mode: string): Promise<void>;
  /** How old each server's last heartbeat is, in milliseconds. */
  ages(): Promise<ReadonlyMap<string, number>>;
  close(): Promise<void>;
}
