/**
 * One server-sent event stream for the whole page (`/api/v1/events/stream`),
 * shared by the views. EventSource reconnects by itself and resends the last
 * event id, so the server can replay what was missed.
 */
import { API_BASE } from "./api-client.js";

export class LiveEvents {
  #source = null;
  #listeners = new Set();
  #statusListeners = new Set();
  #status = "connecting";

  start() {
    if (this.#source) return;
    const source = new EventSource(`${API_BASE}/events/stream`);
    this.#source = source;
    const onData = (msg) => {
      let event;
      try {
        event = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (!event || typeof event !== "object" || typeof event.type !== "string") return;
      for (const fn of this.#listeners) {
        try {
          fn(event);
        } catch (err) {
          console.error("live event listener failed", err);
        }
      }
    };
    // The stream sends unnamed messages: `id: <store id>` and `data: <event JSON>` (src/api/event-stream.ts).
    source.addEventListener("message", onData);
    source.addEventListener("open", () => this.#setStatus("open"));
    source.addEventListener("error", () =>
      this.#setStatus(source.readyState === EventSource.CLOSED ? "closed" : "connecting"),
    );
  }

  stop() {
    this.#source?.close();
    this.#source = null;
    this.#setStatus("closed");
  }

  get status() {
    return this.#status;
  }

  /** fn(event) for every event; returns the unsubscribe function. */
  subscribe(fn) {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  onStatus(fn) {
    this.#statusListeners.add(fn);
    fn(this.#status);
    return () => this.#statusListeners.delete(fn);
  }

  #setStatus(s) {
    if (s === this.#status) return;
    this.#status = s;
    for (const fn of this.#statusListeners) fn(s);
  }
}
