/**
 * The classic network-boot stack bootfleet replaces, configured as admins
 * write it, serving the storm image's same files:
 *
 * - dnsmasq (DHCP + TFTP): the PXE ROM gets undionly.kpxe over TFTP; iPXE,
 *   told apart by its option 175 (`dhcp-match=set:ipxe,175`), gets the boot
 *   script's URL: the chain by tag from dnsmasq's own documentation. By
 *   default dnsmasq pings an address before it offers it (its man page,
 *   --no-ping) and answers nothing else while it waits for the echo, up to
 *   3 s per new client; `noPing` is the setting admins of big labs add.
 *   It serves at most 50 TFTP transfers at once (`--tftp-max`) and drops
 *   requests beyond them; `tftpMax` raises that, as such an admin would.
 * - nginx (Debian's nginx-light, its defaults: `worker_processes auto`,
 *   768 connections per worker, sendfile, access log on) serves the script,
 *   kernel, initrd and layer cpio; the hook's stage reports get 204 (the
 *   classic stack has nowhere to keep them).
 * - nbd-server exports the image's root.squashfs read-only under the
 *   image's name; it forks a process per client.
 *
 * The boot script names the same kernel command line bootfleet's does (the
 * hook reads it), with iPXE's own ${net0/mac} where bootfleet writes the MAC.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeCpioNewc } from "../../src/boot/cpio-newc.js";
import type { TestNetwork } from "../../test/support/test-network.js";
import { waitForStart } from "../support/wait-for-start.js";
import type { StormImage } from "./storm-image.js";
import type { StormNetwork } from "./storm-network.js";
import type { StormStack } from "./storm-stack.js";

const UNDIONLY = "/usr/lib/ipxe/undionly.kpxe";

function tcpPortBound(net: TestNetwork, port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return net
    .run("cat", "/proc/net/tcp")
    .split("\n")
    .some((line) => {
      const f = line.trim().split(/\s+/);
      return f[1]?.endsWith(hex) && f[3] === "0A"; // LISTEN
    });
}

export async function startClassicStack(
  net: TestNetwork,
  dir: string,
  image: StormImage,
  nets: StormNetwork,
  opts: { readonly noPing?: boolean; readonly tftpMax?: number } = {},
): Promise<StormStack> {
  const s = nets.server;
  const tftpRoot = join(dir, "tftp");
  const www = join(dir, "www");
  mkdirSync(tftpRoot, { recursive: true });
  mkdirSync(join(www, image.name), { recursive: true });
  mkdirSync(join(dir, "nginx-tmp"), { recursive: true });
  copyFileSync(UNDIONLY, join(tftpRoot, "undionly.kpxe"));
  for (const f of ["vmlinuz", "initrd.img"]) copyFileSync(join(image.dir, f), join(www, image.name, f));
  writeFileSync(
    join(www, "layers.cpio"),
    encodeCpioNewc([
      { name: "etc/bootfleet-layer", type: "file", mode: 0o644, mtime: 0, data: Buffer.from("storm\n") },
    ]),
  );
  const base = `http://${s}`;
  writeFileSync(
    join(www, "boot.ipxe"),
    [
      "#!ipxe",
      `kernel ${base}/${image.name}/vmlinuz initrd=initrd.img BOOTIF=01-\${net0/mac:hexhyp} bootfleet.server=${s} ` +
        `bootfleet.nbd=${s}:10809/${image.name} bootfleet.http=${base} bootfleet.mac=\${net0/mac} ` +
        `bootfleet.layers=${base}/layers.cpio`,
      `initrd --name initrd.img ${base}/${image.name}/initrd.img`,
      "boot",
      "",
    ].join("\n"),
  );

  const dnsmasqConf = join(dir, "dnsmasq.conf");
  writeFileSync(
    dnsmasqConf,
    `port=0
${opts.noPing ? "no-ping\n" : ""}user=root
bind-interfaces
listen-address=${s}
dhcp-range=${nets.poolFirst},${nets.poolLast},${nets.netmask},1h
dhcp-option=option:router,${s}
dhcp-leasefile=${join(dir, "dnsmasq.leases")}
dhcp-lease-max=4000
enable-tftp
tftp-root=${tftpRoot}
${opts.tftpMax ? `tftp-max=${opts.tftpMax}\n` : ""}dhcp-match=set:ipxe,175
dhcp-boot=tag:!ipxe,undionly.kpxe,,${s}
dhcp-boot=tag:ipxe,${base}/boot.ipxe
pid-file=${join(dir, "dnsmasq.pid")}
log-facility=${join(dir, "dnsmasq-syslog.log")}
`,
  );
  const nginxConf = join(dir, "nginx.conf");
  const tmp = join(dir, "nginx-tmp");
  writeFileSync(
    nginxConf,
    `daemon off;
user root;
worker_processes auto;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "nginx-error.log")};
events { worker_connections 768; }
http {
  sendfile on;
  tcp_nopush on;
  types { text/plain ipxe; }
  default_type application/octet-stream;
  access_log ${join(dir, "nginx-access.log")};
  client_body_temp_path ${tmp}/body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  server {
    listen ${s}:80;
    root ${www};
    location /api/ { return 204; }
  }
}
`,
  );
  const nbdConf = join(dir, "nbd-server.conf");
  writeFileSync(
    nbdConf,
    `[generic]
user = root
group = root
listenaddr = ${s}
port = 10809
[${image.name}]
exportname = ${join(image.dir, "root.squashfs")}
readonly = true
`,
  );

  const children: ChildProcess[] = [];
  const pids: number[] = [];
  try {
    const dnsmasqLog = join(dir, "dnsmasq.log");
    const dnsmasq = net.spawn("dnsmasq", ["--keep-in-foreground", `--conf-file=${dnsmasqConf}`], dnsmasqLog);
    children.push(dnsmasq);
    const nginxLog = join(dir, "nginx.log");
    const nginx = net.spawn("nginx", ["-c", nginxConf, "-e", join(dir, "nginx-error.log")], nginxLog);
    children.push(nginx);
    // nbd-server daemonizes: its PID comes from its pid file, and it is stopped by that PID.
    const nbdPidFile = join(dir, "nbd-server.pid");
    const nbd = spawnSync("ip", ["netns", "exec", net.ns, "nbd-server", "-C", nbdConf, "-p", nbdPidFile], {
      encoding: "utf8",
    });
    if (nbd.status !== 0) throw new Error(`nbd-server: ${nbd.stderr}`);
    await waitForStart(
      "nbd-server",
      join(dir, "nbd-server.conf"),
      () => existsSync(nbdPidFile) && tcpPortBound(net, 10809),
    );
    pids.push(Number(readFileSync(nbdPidFile, "utf8").trim()));
    await waitForStart(
      "nginx",
      join(dir, "nginx-error.log"),
      () => nginx.exitCode === null && tcpPortBound(net, 80),
    );
    await waitForStart(
      "dnsmasq",
      dnsmasqLog,
      () => dnsmasq.exitCode === null && existsSync(join(dir, "dnsmasq.pid")),
    );
    pids.unshift(dnsmasq.pid!, nginx.pid!);
  } catch (e) {
    for (const pid of pids) killPid(pid);
    throw e;
  }
  return {
    name: "classic",
    pids,
    stop: async () => {
      for (const c of children) {
        if (c.exitCode !== null || c.signalCode !== null) continue;
        const exited = new Promise((r) => c.once("exit", r));
        c.kill("SIGTERM");
        await exited;
      }
      killPid(pids[2]!);
    },
  };
}

function killPid(pid: number): void {
  try {
    process.kill(pid, "SIGTERM");
  } catch {}
}
