/**
 * Between the sockets and the handler: under overload, finish exchanges
 * already under way before starting new ones.
 *
 * A DISCOVER only starts an exchange; a REQUEST (and the rest) finishes one
 * the client is waiting on. When packets come faster than they can be
 * handled, answering DISCOVERs first fills the socket buffer with them and
 * the REQUESTs behind are lost, so nobody gets a lease (the collapse a
 * perfdhcp flood shows). Here each datagram is read off the socket at once
 * and queued; the drain runs once per event-loop turn (setImmediate, after
 * libuv has read what is waiting), takes everything but DISCOVERs first, and
 * keeps only the newest `maxDiscovers` DISCOVERs: older ones are shed
 * (counted), as the client will have retransmitted by the time they would be
 * answered (RFC 2131 §4.1: 4 s, then 8 s...).
 */
export interface IntakeOptions<T> {
  /** Handler calls running at once (a store that answers over the network overlaps them). */
  readonly maxInFlight: number;
  /** DISCOVERs kept waiting at most; beyond, the oldest is shed. */
  readonly maxDiscovers: number;
  /**
   * Handler calls started per event-loop turn. Small, so that libuv polls
   * the sockets often: a long turn lets the kernel's receive buffer overflow
   * and drop REQUESTs before we ever see them.
   */
  readonly perTurn: number;
  readonly run: (item: T) => Promise<void>;
  readonly onShed: () => void;
}

export class DhcpIntakeQueue<T> {
  readonly #o: IntakeOptions<T>;
  #urgent: T[] = [];
  /** The next of #urgent to run: taking from the front by index keeps a drain linear in the backlog. */
  #urgentHead = 0;
  #discovers: T[] = [];
  #inFlight = 0;
  #scheduled = false;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(options: IntakeOptions<T>) {
    this.#o = options;
  }

  get waiting(): number {
    return this.#urgent.length - this.#urgentHead + this.#discovers.length;
  }

  push(item: T, discover: boolean): void {
    if (this.#closed) return;
    if (discover) {
      if (this.#discovers.length >= this.#o.maxDiscovers) {
        this.#discovers.shift();
        this.#o.onShed();
      }
      this.#discovers.push(item);
    } else {
      this.#urgent.push(item);
    }
    this.#schedule();
  }

  /**
   * Takes nothing more, drops what waits (its clients retransmit, RFC 2131
   * §4.1) and resolves when the exchanges under way have finished: their
   * leases are in the store before the service says it has stopped.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#urgent = [];
    this.#urgentHead = 0;
    this.#discovers = [];
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    let started = 0;
    while (this.#inFlight < this.#o.maxInFlight) {
      if (started++ >= this.#o.perTurn) {
        this.#schedule();
        return;
      }
      let item: T | undefined;
      if (this.#urgentHead < this.#urgent.length) {
        item = this.#urgent[this.#urgentHead];
        this.#urgent[this.#urgentHead++] = undefined as T;
        // Start a fresh array once drained, so the taken slots do not pile up.
        if (this.#urgentHead === this.#urgent.length) {
          this.#urgent = [];
          this.#urgentHead = 0;
        }
      } else if (this.#discovers.length > 0) {
        item = this.#discovers.shift();
      } else {
        return;
      }
      this.#inFlight++;
      this.#o
        .run(item as T)
        .catch(() => {
          /* run() reports its own failures */
        })
        .finally(() => {
          this.#inFlight--;
          if (this.waiting > 0) this.#schedule();
          if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
        });
    }
  }
}

/**
 * The DHCP message type without decoding the packet: option 53 is the first
 * option in what every client we know sends (RFC 2131 does not require it),
 * so look there; anything else counts as "not a DISCOVER" and is simply
 * handled first, where the full decoder judges it.
 */
export function peekIsDiscover(data: Buffer): boolean {
  return data.length > 242 && data[240] === 53 && data[241] === 1 && data[242] === 1;
}
