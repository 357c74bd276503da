/**
 * One simulated machine's HTTP client from its own leased address: iPXE
 * fetches its script, kernel and initrds over one keep-alive connection
 * (`keepAlive`); the hook's busybox wget opens a connection per request
 * (the layer cpio, every stage report). GETs count the body's bytes and
 * fail on any status but 200; the stage reports are POSTs of the JSON the
 * hook sends.
 */
import { Agent, request } from "node:http";

export class MachineHttp {
  readonly #agent: Agent;

  constructor(localAddress: string, keepAlive: boolean) {
    this.#agent = new Agent({ keepAlive, maxSockets: 1, localAddress });
  }

  /** GET `url`; resolves with the body (when `keep`) and its length. */
  get(url: string, keep = false): Promise<{ readonly bytes: number; readonly body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: this.#agent }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
          return;
        }
        let bytes = 0;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => {
          bytes += c.length;
          if (keep) chunks.push(c);
        });
        res.on("end", () => resolve({ bytes, body: keep ? Buffer.concat(chunks).toString("utf8") : "" }));
        res.on("error", (e) => reject(new Error(`GET ${url}: ${e.message}`)));
      });
      req.on("error", (e) => reject(new Error(`GET ${url}: ${e.message}`)));
      req.end();
    });
  }

  /** POST a JSON body; any 2xx is taken. */
  postJson(url: string, body: unknown): Promise<void> {
    const data = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          agent: this.#agent,
          method: "POST",
          headers: { "content-type": "application/json", "content-length": data.length },
        },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) res.on("end", () => resolve());
          else reject(new Error(`POST ${url}: HTTP ${status}`));
        },
      );
      req.on("error", (e) => reject(new Error(`POST ${url}: ${e.message}`)));
      req.end(data);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
