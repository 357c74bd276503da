/** Notices that events were stored, between servers sharing one store (src/store/postgres/postgres-event-notices.ts). */
export interface EventNotices {
  /** Tells the other servers that events about these machines were stored. */
  announce(macs: readonly string[]): Promise<void>;
  /** Calls back on each notice from another server; null stands for events about no machine. */
  follow(onNotice: (macs: readonly (string | null)[]) => void): Promise<void>;
  close(): Promise<void>;
}
