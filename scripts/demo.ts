/**
 * `npm run demo`: boots one virtual client from bootfleet so a new user can
 * watch it in the web page. Everything happens in a private network
 * namespace (198.18.0.0/24): a bridge, `bootfleet serve` in full DHCP mode,
 * and a QEMU PC (TCG) that PXE-boots a small busybox image built from
 * Debian's kernel and busybox. The admin page is forwarded to
 * http://127.0.0.1:8080/ through a unix socket, so nothing on the host's
 * networks is touched. Ctrl-C, SIGTERM, SIGHUP, a failure or the end of the
 * process that started it stops it all and removes the namespace.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage } from "../src/images/build-image.js";
import { makeBusyboxRoot } from "../test/fixtures/images/busybox-root.js";
import { ensureDebianKernel } from "../test/fixtures/images/debian-kernel.js";
import { QemuMachine } from "../test/support/qemu-machine.js";
import { startServeInNetwork } from "../test/support/serve-in-network.js";
import { TestNetwork } from "../test/support/test-network.js";

const port = Number(process.env.BOOTFLEET_DEMO_PORT ?? 8080);
const work = mkdtempSync(join(tmpdir(), "bf-demo-"));
const say = (s: string) => process.stderr.write(`demo: ${s}\n`);

let net: TestNetwork | undefined;
let page: Server | undefined;
let stopped = false;

/** Kills what the demo started (by PID), removes its namespace and its folder. Safe to call twice. */
function cleanup(): void {
  if (stopped) return;
  stopped = true;
  page?.close();
  net?.close();
  rmSync(work, { recursive: true, force: true });
}

function stop(code: number, why?: string): never {
  if (why !== undefined) say(why);
  cleanup();
  process.exit(code);
}

// Ctrl-C reaches every process of the terminal's group, but SIGTERM (kill,
// a service manager) and SIGHUP (the terminal closed) may reach this process
// alone, and the children would outlive it.
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(sig, () => stop(0, `${sig}: stopping`));
// Node turns an unhandled rejection into an uncaught exception.
process.on("uncaughtException", (e) => stop(1, `failed: ${e.message}`));
// Any other way out (process.exit from a library) still cleans up; exit
// handlers run synchronously, and cleanup is synchronous.
process.on("exit", cleanup);
// `npm run demo` starts this under `sh -c`, and dash does not exec the
// command: npm passes a SIGTERM to that shell only, which dies and leaves
// this process to init. A new parent means whoever started the demo is gone.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop(0, "the process that started the demo is gone: stopping");
}, 1000).unref();

say("fetching Debian's kernel (apt-get download, once) and building the demo image");
const kernel = ensureDebianKernel();
const root = join(work, "root");
mkdirSync(root);
await makeBusyboxRoot(root, {
  token: "DEMO",
  vmlinuz: kernel.vmlinuz,
  kernelVersion: kernel.version,
  printFiles: ["/etc/motd"],
});
await buildImage({ dataDir: join(work, "var"), name: "demo", from: root, modulesFrom: kernel.root });
const config = join(work, "bootfleet.yaml");
writeFileSync(
  config,
  `server: { address: 198.18.0.1, data_dir: ${join(work, "var")} }
services: { dhcp: { mode: full }, http: { port: 8080 }, api: { token: demo-token-0123456789 } }
networks:
  - subnet: 198.18.0.0/24
    pool: 198.18.0.100-198.18.0.149
defaults: { image: demo, console: ttyS0 }
hosts:
  demo-1:
    mac: "52:54:00:de:00:01"
    files: { /etc/motd: "hello from demo-1's own layer\\n" }
`,
);

try {
  net = TestNetwork.create({ tag: "demo" });
  await startServeInNetwork(net, "198.18.0.1", config, join(work, "serve.log"));
  // The page: 127.0.0.1:<port> on the host -> unix socket -> 198.18.0.1:8080 in the namespace.
  const sock = join(work, "http.sock");
  net.spawn(
    process.execPath,
    [
      "-e",
      `require("net").createServer((c) => { const u = require("net").connect(8080, "198.18.0.1"); c.pipe(u).pipe(c); u.on("error", () => c.destroy()); c.on("error", () => u.destroy()); }).listen(${JSON.stringify(sock)})`,
    ],
    join(work, "forward.log"),
  );
  const forwarder = createServer((c) => {
    const u = connect(sock);
    c.pipe(u).pipe(c);
    u.on("error", () => c.destroy());
    c.on("error", () => u.destroy());
  });
  page = forwarder;
  // A port in use fails here, with the message, rather than as a crash.
  await new Promise<void>((resolve, reject) => {
    forwarder.once("error", reject);
    forwarder.listen(port, "127.0.0.1", resolve);
  });
  say(`web page: http://127.0.0.1:${port}/  (API token for actions: demo-token-0123456789)`);
  say("booting demo-1 (QEMU, TCG: about 40 s to its init) ...");
  const vm = QemuMachine.start({
    net,
    mac: "52:54:00:de:00:01",
    firmware: "bios",
    serialLog: join(work, "demo-1.serial"),
    qemuLog: join(work, "qemu.log"),
  });
  const started = Date.now();
  await vm.waitForSerial([/INIT DONE/], 10 * 60_000);
  say(`demo-1 reached its init in ${((Date.now() - started) / 1000).toFixed(1)} s; its console said:`);
  process.stderr.write(
    `${vm
      .serial()
      .split("\n")
      .filter((l) => /IMAGE TOKEN|FILE |HOSTNAME/.test(l))
      .join("\n")}\n`,
  );
  say("the page keeps serving; Ctrl-C stops everything");
} catch (e) {
  stop(1, `failed: ${(e as Error).message}`);
}
