/**
 * The store in process memory: for tests and for `bootfleet` runs that keep
 * nothing. Same semantics as the SQL backends (the shared suite checks it),
 * retention applied exactly on every insert.
 */
import { compareIp } from "../compare-ip.js";
import { logOwnerKey } from "../log-owner-key.js";
import type {
  AddressBindingRow,
  EventQuery,
  EventRow,
  LeaseQuery,
  LeaseRow,
  LogQuery,
  LogRetention,
  LogRow,
  MachineOverrideRow,
  MachineRow,
  MachineSeen,
  NewEvent,
  NewLog,
  Store,
} from "../store.js";

export class MemoryStore implements Store {
  readonly #machines = new Map<string, MachineRow>();
  readonly #leases = new Map<string, LeaseRow>();
  readonly #events: EventRow[] = [];
  #nextEventId = 1;
  /** Every line by id, in id order (Map keeps insertion order). */
  readonly #logs = new Map<number, LogRow>();
  /** Per owner (MAC, or ip:<address>), its line ids oldest first. */
  readonly #logsByOwner = new Map<string, number[]>();
  #nextLogId = 1;
  readonly #overrides = new Map<string, MachineOverrideRow>();
  readonly #bindings = new Map<string, AddressBindingRow>();

  async migrate(): Promise<void> {}

  async close(): Promise<void> {}

  async noteMachine(seen: MachineSeen): Promise<void> {
    this.#note(seen);
  }

  async noteMachines(seen: readonly MachineSeen[]): Promise<void> {
    for (const s of seen) this.#note(s);
  }

  #note(seen: MachineSeen): void {
    const old = this.#machines.get(seen.mac);
    this.#machines.set(seen.mac, {
      mac: seen.mac,
      ip: seen.ip ?? old?.ip ?? null,
      hostname: seen.hostname ?? old?.hostname ?? null,
      arch: seen.arch ?? old?.arch ?? null,
      state: seen.state ?? old?.state ?? "off",
      firstSeen: Math.min(old?.firstSeen ?? Number.POSITIVE_INFINITY, seen.firstAt ?? seen.at, seen.at),
      lastSeen: old ? Math.max(old.lastSeen, seen.at) : seen.at,
    });
  }

  async listMachines(): Promise<readonly MachineRow[]> {
    return [...this.#machines.values()].sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
  }

  async getMachine(mac: string): Promise<MachineRow | null> {
    return this.#machines.get(mac) ?? null;
  }

  async setMachineImage(mac: string, image: string | null, at: number, by: string): Promise<void> {
    if (image === null) this.#overrides.delete(mac);
    else this.#overrides.set(mac, { mac, image, setAt: at, setBy: by });
  }

  async listMachineOverrides(): Promise<readonly MachineOverrideRow[]> {
    return [...this.#overrides.values()].sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
  }

  async putAddressBinding(binding: AddressBindingRow): Promise<void> {
    for (const [ip, b] of this.#bindings) if (b.mac === binding.mac) this.#bindings.delete(ip);
    this.#bindings.set(binding.ip, { ...binding });
  }

  async deleteAddressBinding(ip: string): Promise<void> {
    this.#bindings.delete(ip);
  }

  async listAddressBindings(): Promise<readonly AddressBindingRow[]> {
    return [...this.#bindings.values()].sort((a, b) => compareIp(a.ip, b.ip));
  }

  async putLease(lease: LeaseRow): Promise<void> {
    this.#leases.set(lease.ip, { ...lease });
  }

  async putLeases(leases: readonly LeaseRow[]): Promise<void> {
    for (const lease of leases) this.#leases.set(lease.ip, { ...lease });
  }

  async getLeaseByIp(ip: string): Promise<LeaseRow | null> {
    return this.#leases.get(ip) ?? null;
  }

  async getLeaseByMac(mac: string, network: string): Promise<LeaseRow | null> {
    // Several rows for one MAC can exist (an old expired lease and a new
    // one): the most recent start wins, as in the SQL backends.
    let best: LeaseRow | null = null;
    for (const l of this.#leases.values()) {
      if (l.mac !== mac || l.network !== network) continue;
      if (!best || l.start > best.start || (l.start === best.start && compareIp(l.ip, best.ip) > 0)) best = l;
    }
    return best;
  }

  async listLeases(network?: string): Promise<readonly LeaseRow[]> {
    return this.#queryLeases({ network });
  }

  async queryLeases(query: LeaseQuery): Promise<readonly LeaseRow[]> {
    return this.#queryLeases(query);
  }

  async countLeases(query: LeaseQuery): Promise<number> {
    return this.#queryLeases({ ...query, limit: undefined }).length;
  }

  #queryLeases(q: LeaseQuery): LeaseRow[] {
    const rows = [...this.#leases.values()]
      .filter(
        (l) =>
          (q.network === undefined || l.network === q.network) &&
          (q.mac === undefined || l.mac === q.mac) &&
          (q.states === undefined || q.states.includes(l.state)) &&
          (q.expiresAfter === undefined || l.expires > q.expiresAfter) &&
          (q.expiresBefore === undefined || l.expires <= q.expiresBefore),
      )
      .sort((a, b) => compareIp(a.ip, b.ip));
    return q.limit === undefined ? rows : rows.slice(0, Math.max(0, q.limit));
  }

  async expireLeases(now: number, network?: string): Promise<number> {
    let n = 0;
    for (const l of this.#leases.values()) {
      if (network !== undefined && l.network !== network) continue;
      if ((l.state === "offered" || l.state === "bound") && l.expires <= now) {
        this.#leases.set(l.ip, { ...l, state: "expired" });
        n++;
      }
    }
    return n;
  }

  async deleteLease(ip: string): Promise<void> {
    this.#leases.delete(ip);
  }

  async addEvent(event: NewEvent): Promise<number> {
    return this.#addEvent(event);
  }

  async addEvents(events: readonly NewEvent[]): Promise<readonly number[]> {
    // All or nothing, as in a transaction: every detail is serialised
    // before the first row goes in.
    const details = events.map((e) => storedDetail(e));
    return events.map((e, i) => this.#addEvent(e, details[i]!));
  }

  #addEvent(e: NewEvent, detail = storedDetail(e)): number {
    const id = this.#nextEventId++;
    this.#events.push({
      id,
      at: e.at,
      type: e.type,
      protocol: e.protocol,
      mac: e.mac ?? null,
      ip: e.ip ?? null,
      stage: e.stage ?? null,
      detail,
    });
    return id;
  }

  async listEvents(q: EventQuery): Promise<readonly EventRow[]> {
    const match = (e: EventRow): boolean =>
      (q.mac === undefined || e.mac === q.mac) &&
      (q.type === undefined || e.type === q.type) &&
      (q.protocol === undefined || e.protocol === q.protocol) &&
      (q.afterId === undefined || e.id > q.afterId);
    return pick(this.#events, match, q.order ?? "asc", q.limit);
  }

  async pruneEvents(before: number, limit?: number): Promise<number> {
    const old = this.#events
      .filter((e) => e.at < before)
      .sort((a, b) => a.at - b.at || a.id - b.id)
      .slice(0, limit === undefined ? undefined : Math.max(0, limit));
    if (old.length === 0) return 0;
    const gone = new Set(old.map((e) => e.id));
    let kept = 0;
    for (const e of this.#events) if (!gone.has(e.id)) this.#events[kept++] = e;
    this.#events.length = kept;
    return old.length;
  }

  async addLog(line: NewLog, retention: LogRetention): Promise<number> {
    const id = this.#nextLogId++;
    this.#logs.set(id, { ...line, id });
    const owner = logOwnerKey(line.mac, line.ip);
    let ids = this.#logsByOwner.get(owner);
    if (!ids) this.#logsByOwner.set(owner, (ids = []));
    ids.push(id);
    this.#prune(retention);
    return id;
  }

  async pruneLogs(retention: LogRetention): Promise<void> {
    this.#prune(retention);
  }

  #prune(retention: LogRetention): void {
    const per = Math.max(0, retention.perMachine);
    for (const [owner, ids] of this.#logsByOwner) {
      while (ids.length > per) this.#logs.delete(ids.shift()!);
      if (ids.length === 0) this.#logsByOwner.delete(owner);
    }
    const total = Math.max(0, retention.total);
    while (this.#logs.size > total) {
      const oldest = this.#logs.keys().next().value as number;
      const row = this.#logs.get(oldest)!;
      this.#logs.delete(oldest);
      const owner = logOwnerKey(row.mac, row.ip);
      const ids = this.#logsByOwner.get(owner);
      // Ids grow, so the globally oldest line is also its owner's oldest.
      ids?.shift();
      if (ids && ids.length === 0) this.#logsByOwner.delete(owner);
    }
  }

  async listLogs(q: LogQuery): Promise<readonly LogRow[]> {
    let source: LogRow[];
    if (q.mac !== undefined) {
      const ids = this.#logsByOwner.get(q.mac) ?? [];
      source = ids.map((id) => this.#logs.get(id)!);
    } else {
      source = [...this.#logs.values()];
    }
    const match = (l: LogRow): boolean =>
      (q.mac === undefined || l.mac === q.mac) &&
      (q.ip === undefined || l.ip === q.ip) &&
      (q.afterId === undefined || l.id > q.afterId);
    return pick(source, match, q.order ?? "asc", q.limit);
  }
}

/**
 * Through JSON, as the SQL backends store it: undefined fields vanish, what
 * JSON cannot hold throws, and the caller's object is not kept.
 */
function storedDetail(e: NewEvent): Record<string, unknown> {
  return JSON.parse(JSON.stringify(e.detail ?? {})) as Record<string, unknown>;
}

/** Rows in id order that match, from the oldest or the newest end, at most `limit`. */
function pick<T>(rows: readonly T[], match: (r: T) => boolean, order: "asc" | "desc", limit?: number): T[] {
  const out: T[] = [];
  const max = limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, limit);
  if (max === 0) return out;
  if (order === "asc") {
    for (const r of rows) if (match(r) && out.push(r) >= max) break;
  } else {
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i]!;
      if (match(r) && out.push(r) >= max) break;
    }
  }
  return out;
}
