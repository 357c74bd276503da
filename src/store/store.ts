/**
 * The store: one small interface, one folder per backend (`sqlite/`,
 * `postgres/`) with the same file names, one test suite run against each
 * (store-suite.ts) and one schema for the SQL ones (sql-migrations.ts).
 * Everything is async because PostgreSQL is; the SQLite backend answers
 * synchronously underneath.
 */

export interface MachineRow {
  readonly mac: string;
  readonly ip: string | null;
  readonly hostname: string | null;
  /** PXE client architecture (DHCP option 93), when seen. */
  readonly arch: number | null;
  /** Last boot state: off | dhcp | loading | root-mounted | up | failed. */
  readonly state: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/**
 * One sighting of a machine. Fields left undefined or null keep what the
 * store already knows (a DHCP renewal without option 12 must not erase the
 * hostname); `state` undefined keeps the last state ("off" for a new machine).
 */
export interface MachineSeen {
  readonly mac: string;
  readonly ip?: string | null | undefined;
  readonly hostname?: string | null | undefined;
  readonly arch?: number | null | undefined;
  readonly state?: string | undefined;
  readonly at: number;
  /** The first moment of this sighting, when it began before `at` (a batch of events): first_seen's candidate. */
  readonly firstAt?: number | undefined;
}

export type LeaseState = "offered" | "bound" | "declined" | "released" | "expired";

export interface LeaseRow {
  readonly ip: string;
  readonly mac: string;
  /** The network (CIDR) the lease belongs to. */
  readonly network: string;
  readonly state: LeaseState;
  readonly hostname: string | null;
  /** DHCP client identifier (option 61) as hex, when the client sent one. */
  readonly clientId: string | null;
  readonly start: number;
  /** Milliseconds since the epoch. */
  readonly expires: number;
}

export interface EventRow {
  readonly id: number;
  readonly at: number;
  readonly type: string;
  readonly protocol: string;
  readonly mac: string | null;
  readonly ip: string | null;
  readonly stage: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface NewEvent {
  readonly at: number;
  readonly type: string;
  readonly protocol: string;
  readonly mac?: string | null | undefined;
  readonly ip?: string | null | undefined;
  readonly stage?: string | null | undefined;
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

export interface EventQuery {
  readonly mac?: string | undefined;
  readonly type?: string | undefined;
  /** Only events of this protocol (the part of the type before the dot). */
  readonly protocol?: string | undefined;
  /** Only events with id > afterId (for --follow and SSE resume). */
  readonly afterId?: number | undefined;
  /** Newest first when set to "desc"; default "asc". */
  readonly order?: "asc" | "desc" | undefined;
  readonly limit?: number | undefined;
}

export interface LogRow {
  readonly id: number;
  readonly at: number;
  readonly mac: string | null;
  readonly ip: string;
  readonly facility: number | null;
  readonly severity: number | null;
  readonly hostname: string | null;
  readonly app: string | null;
  readonly message: string;
}

export type NewLog = Omit<LogRow, "id">;

export interface LogQuery {
  readonly mac?: string | undefined;
  /** Lines from this source address (lines no MAC was found for). */
  readonly ip?: string | undefined;
  readonly afterId?: number | undefined;
  /** Newest first when set to "desc"; default "asc". */
  readonly order?: "asc" | "desc" | undefined;
  readonly limit?: number | undefined;
}

export interface LogRetention {
  /** Lines kept per machine (oldest dropped first). */
  readonly perMachine: number;
  /** Lines kept in all. */
  readonly total: number;
}

/** Lease filter; every field narrows. Results are ordered by address (numerically). */
export interface LeaseQuery {
  readonly network?: string | undefined;
  readonly mac?: string | undefined;
  readonly states?: readonly LeaseState[] | undefined;
  /** Only leases with expires > expiresAfter (still running at that instant). */
  readonly expiresAfter?: number | undefined;
  /** Only leases with expires <= expiresBefore (run out by that instant). */
  readonly expiresBefore?: number | undefined;
  readonly limit?: number | undefined;
}

/**
 * A value set for one machine through the API rather than the config file
 * (today only its image). The resolver applies it as the last layer ("api").
 */
export interface MachineOverrideRow {
  readonly mac: string;
  readonly image: string;
  /** Milliseconds since the epoch. */
  readonly setAt: number;
  /** Who set it, as the API recorded it (e.g. "api-token"). */
  readonly setBy: string;
}

/**
 * An address the server watched a machine use in a DHCP exchange it did not
 * serve (proxy mode: the client's REQUEST to the site's DHCP server, its PXE
 * request to port 4011). Evidence for src/identity/, kept so it survives a
 * restart: in proxy mode renewals go to the other server, unseen.
 */
export interface AddressBindingRow {
  readonly ip: string;
  readonly mac: string;
  /** What showed it: "dhcp-request" (option 50 or ciaddr) or "pxe-request" (the source of a port 4011 request). */
  readonly source: string;
  /** Milliseconds since the epoch. */
  readonly seenAt: number;
}

export interface Store {
  /** Applies pending migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  noteMachine(seen: MachineSeen): Promise<void>;
  listMachines(): Promise<readonly MachineRow[]>;
  getMachine(mac: string): Promise<MachineRow | null>;

  putLease(lease: LeaseRow): Promise<void>;
  /**
   * Several leases in one transaction, in order (the DHCP service's group
   * commit: every ACK of one event-loop turn waits on one commit instead of
   * one each).
   */
  putLeases(leases: readonly LeaseRow[]): Promise<void>;
  getLeaseByIp(ip: string): Promise<LeaseRow | null>;
  getLeaseByMac(mac: string, network: string): Promise<LeaseRow | null>;
  listLeases(network?: string): Promise<readonly LeaseRow[]>;
  deleteLease(ip: string): Promise<void>;

  addEvent(event: NewEvent): Promise<number>;
  listEvents(query: EventQuery): Promise<readonly EventRow[]>;

  addLog(line: NewLog, retention: LogRetention): Promise<number>;
  listLogs(query: LogQuery): Promise<readonly LogRow[]>;

  /** Many sightings in one transaction (the event recorder's batches). */
  noteMachines(seen: readonly MachineSeen[]): Promise<void>;
  /** Leases matching every field of the query, ordered by address. */
  queryLeases(query: LeaseQuery): Promise<readonly LeaseRow[]>;
  /** How many leases match (the max_leases guard counts running offers and bindings). */
  countLeases(query: LeaseQuery): Promise<number>;
  /** Marks offered and bound leases with expires <= now as expired; returns how many. */
  expireLeases(now: number, network?: string): Promise<number>;
  /** Many events in one transaction, in order; returns their ids in the same order. */
  addEvents(events: readonly NewEvent[]): Promise<readonly number[]>;
  /**
   * Applies log retention exactly. addLog applies it cheaply (SQL backends
   * prune every so many inserts, so a machine may briefly hold up to about a
   * tenth more lines than its cap); this trims to the caps now.
   */
  pruneLogs(retention: LogRetention): Promise<void>;

  /**
   * Event retention: deletes events with `at` < `before` (milliseconds since
   * the epoch), oldest first, at most `limit` of them (default all); returns
   * how many. EventRetention calls it with a limit, in a loop, so no single
   * transaction holds the store for long. Optional for stores made outside
   * this folder; every backend here has it.
   */
  pruneEvents?(before: number, limit?: number): Promise<number>;

  /** Sets (or, with image null, removes) the machine's image override. */
  setMachineImage(mac: string, image: string | null, at: number, by: string): Promise<void>;
  /** Every machine override, ordered by MAC. */
  listMachineOverrides(): Promise<readonly MachineOverrideRow[]>;

  /**
   * Records that `binding.mac` is at `binding.ip`, in one transaction: the
   * address's previous machine and the machine's previous address are
   * dropped (one machine per address, one address per machine: the last
   * exchange seen wins).
   */
  putAddressBinding(binding: AddressBindingRow): Promise<void>;
  /** Forgets the binding of one address (the identity module's size bound). */
  deleteAddressBinding(ip: string): Promise<void>;
  /** Every address binding, ordered by address. */
  listAddressBindings(): Promise<readonly AddressBindingRow[]>;
}
