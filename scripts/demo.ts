/**
 * `npm run demo`: boots one virtual client from bootfleet so a new user can
 * watch it in the web page. Everything happens in a private network
 * namespace (198.18.0.0/24): a bridge, `bootfleet serve` in full DHCP mode,
 * and a QEMU PC (TCG) that PXE-boots a small busybox image built from
 * Debian's kernel and busybox. The admin page is forwarded to
 * http://127.0.0.1:8080/ through a unix socket, so nothing on the host's
 * networks is touched. Ctrl-C stops it all and removes the namespace.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage } from "../src/images/build-image.js";
import { makeBusyboxRoot } from "../test/fixtures/images/busybox-root.js";
import { ensureDebianKernel, REPO_ROOT } from "../test/fixtures/images/debian-kernel.js";
import { QemuMachine } from "../test/support/qemu-machine.js";
import { TestNetwork } from "../test/support/test-network.js";

const port = Number(process.env.BOOTFLEET_DEMO_PORT ?? 8080);
const work = mkdtempSync(join(tmpdir(), "bf-demo-"));
const say = (s: string) => process.stderr.write(`demo: ${s}\n`);

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

const net = TestNetwork.create({ tag: "demo" });
const cleanup = () => {
  net.close();
  rmSync(work, { recursive: true, force: true });
};
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    cleanup();
    process.exit(0);
  });
try {
  net.spawn(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), "serve", "-c", config],
    join(work, "serve.log"),
    {
      cwd: REPO_ROOT,
    },
  );
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
  createServer((c) => {
    const u = connect(sock);
    c.pipe(u).pipe(c);
    u.on("error", () => c.destroy());
    c.on("error", () => u.destroy());
  }).listen(port, "127.0.0.1");
  await new Promise((r) => setTimeout(r, 3000));
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
  say(`failed: ${(e as Error).message}`);
  cleanup();
  process.exit(1);
}
