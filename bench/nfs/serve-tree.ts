/**
 * Serves one folder read-only over bootfleet's NFS service, as export
 * `/tree`, every program (portmapper, MOUNT, NFS) on one port: for the
 * benchmark and for trying the service against real clients by hand.
 *
 *   node --import tsx bench/nfs/serve-tree.ts DIR PORT [HOST]
 *
 * Prints "listening PORT" on stdout once serving; stops on SIGTERM.
 */
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import type { Logger } from "../../src/logging/logger.js";
import { treeKey } from "../../src/services/nfs/file-handle.js";
import { ImageTree } from "../../src/services/nfs/image-tree.js";
import type { NfsExport } from "../../src/services/nfs/nfs-export-source.js";
import { NfsService } from "../../src/services/nfs/nfs-service.js";

const [dir, portText, host = "127.0.0.1"] = process.argv.slice(2);
if (!dir || !portText) {
  process.stderr.write("usage: serve-tree.ts DIR PORT [HOST]\n");
  process.exit(2);
}
const port = Number(portText);
const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (o, m) => process.stderr.write(`warn ${m} ${JSON.stringify(o)}\n`),
  error: (o, m) => process.stderr.write(`error ${m} ${JSON.stringify(o)}\n`),
  child: () => logger,
};
const tree = await ImageTree.open(dir);
const exp: NfsExport = { key: treeKey(`bench:${dir}`), tree, description: dir };
const tcp = createServer();
await new Promise<void>((resolve) => tcp.listen(port, host, () => resolve()));
const udp = createSocket("udp4");
await new Promise<void>((resolve) => udp.bind(port, host, () => resolve()));
const service = new NfsService({
  source: {
    mount: async (p) => (p === "/tree" ? exp : undefined),
    byKey: async (k) => (k === exp.key ? exp : undefined),
    list: async () => ["/tree"],
  },
  ports: { nfs: port, mount: port, portmap: port },
  logger,
});
service.attachTcp(tcp);
service.attachUdp(udp);
process.stdout.write(`listening ${port}\n`);
process.on("SIGTERM", () => {
  void service.stop().then(() => tree.close().then(() => process.exit(0)));
});
