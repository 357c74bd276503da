/**
 * One server-sent event stream for the whole page (`/api/v1/events/stream`),
 * shared by the views.
 *
 * Without a token it is an EventSource, which reconnects by itself and
 * resends the last event id, so the server can replay what was missed. An
 * EventSource cannot send `Authorization`, and a server with
 * `services.api.read: token` refuses the stream without it, so with a token
 * kept the stream is read with fetch() instead, reconnecting the same way
 * (Last-Event-ID after a pause). A new token restarts the stream.
 */
import { API_BASE } from "./api-client.js";
import { getToken } from "./token-store.js";

/** What EventSource waits before reconnecting, by default (HTML, "server-sent events"). */
const RECONNECT_MS = 3000;

export class LiveEvents {
  #stop = null;
  #listeners = new Set();
  #statusListeners = new Set();
  #status = "connecting";
  /** The id of the last event received, for Last-Event-ID when the fetch() stream reconnects. */
  #lastId = null;
  #onToken = () => this.#restart();

  start() {
    if (this.#stop) return;
    document.addEventListener("bootfleet:token", this.#onToken);
    const token = getToken();
    this.#stop = token ? this.#fetchStream(token) : this.#eventSource();
  }

  stop() {
    document.removeEventListener("bootfleet:token", this.#onToken);
    this.#stop?.();
    this.#stop = null;
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

  #restart() {
    this.stop();
    this.#setStatus("connecting");
    this.start();
  }

  #eventSource() {
    const source = new EventSource(`${API_BASE}/events/stream`);
    // The stream sends unnamed messages: `id: <store id>` and `data: <event JSON>` (src/api/event-stream.ts).
    source.addEventListener("message", (msg) => this.#deliver(msg.lastEventId, msg.data));
    source.addEventListener("open", () => this.#setStatus("open"));
    source.addEventListener("error", () =>
      this.#setStatus(source.readyState === EventSource.CLOSED ? "closed" : "connecting"),
    );
    return () => source.close();
  }

  #fetchStream(token) {
    const abort = new AbortController();
    const run = async () => {
      while (!abort.signal.aborted) {
        try {
          const headers = { accept: "text/event-stream", authorization: `Bearer ${token}` };
          if (this.#lastId !== null) headers["last-event-id"] = this.#lastId;
          const res = await fetch(`${API_BASE}/events/stream`, { headers, signal: abort.signal });
          // A refused token stays refused: wait for a new one (the restart above).
          if (res.status === 401) return this.#setStatus("closed");
          if (res.ok && res.body) {
            this.#setStatus("open");
            await this.#read(res.body.pipeThrough(new TextDecoderStream()).getReader());
          }
        } catch {
          if (abort.signal.aborted) return;
        }
        this.#setStatus("connecting");
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
      }
    };
    void run();
    return () => abort.abort();
  }

  /** Splits the text stream into messages: blocks ending in a blank line, `id:` and `data:` fields. */
  async #read(reader) {
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replaceAll("\r\n", "\n");
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id = "";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("id:")) id = line.slice(3).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length) this.#deliver(id, data.join("\n"));
        end = buffer.indexOf("\n\n");
      }
    }
  }

  #deliver(id, data) {
    if (id) this.#lastId = id;
    let event;
    try {
      event = JSON.parse(data);
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
  }

  #setStatus(s) {
    if (s === this.#status) return;
    this.#status = s;
    for (const fn of this.#statusListeners) fn(s);
  }
}
