import pg from "pg";

const INT8_OID = 20;
// BIGINT columns hold epoch milliseconds, far below 2^53: numbers, not the
// strings node-postgres returns by default. Scoped to the pool.
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

/** A small pool on `url` for the parts several servers share (lease claims, heartbeats). */
export function openPostgresPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, types, max });
  // An idle connection dropped by the server emits here; without a listener
  // it would take the process down. The next query reports it.
  pool.on("error", () => {});
  return pool;
}

/** A single connection for LISTEN, with the same number parsing. */
export function openPostgresClient(url: string): pg.Client {
  return new pg.Client({ connectionString: url, types });
}
