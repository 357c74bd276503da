/**
 * Verbs about machines of the fleet: logs (what they sent to the syslog
 * receiver) and wake (Wake-on-LAN).
 */
import { createSocket } from "node:dgram";
import type { Command, Option } from "commander";
import type { FleetConfig, Host } from "../config/model.js";
import { FleetResolver } from "../config/resolve-machine.js";
import { openStore } from "../server/fleet-server.js";
import type { LogRow } from "../store/store.js";
import { WolSender } from "../wol/wol-sender.js";
import { loadFleetConfig } from "./config-option.js";

const SEVERITY = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

export function registerFleetCommands(program: Command, configOption: () => Option): void {
  program
    .command("logs")
    .description("what a machine sent to the syslog receiver (MAC, hostname or IP)")
    .argument("<machine>", "MAC address, hostname or IP address")
    .addOption(configOption())
    .option("-f, --follow", "keep printing new lines")
    .option("-n, --lines <n>", "last N lines", (v) => Number(v), 100)
    .action(async (machine: string, opts: { config?: string; follow?: boolean; lines: number }) => {
      const config = await loadFleetConfig(opts.config);
      const resolver = new FleetResolver(config);
      const host = resolver.findHost(machine);
      const store = openStore(config);
      await store.migrate();
      const ipOnly = !host && /^\d+\.\d+\.\d+\.\d+$/.test(machine);
      const mac = host?.mac ?? (ipOnly ? undefined : machine.toLowerCase());
      if (!host && !ipOnly && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac ?? "")) {
        await store.close();
        throw Object.assign(new Error(`no declared host is called '${machine}'`), {
          hint: "give a hostname from the config, a MAC address or an IP address",
        });
      }
      const query = mac ? { mac } : { ip: machine };
      const print = (l: LogRow) =>
        process.stdout.write(
          `${new Date(l.at).toISOString()} ${l.hostname ?? l.ip} ${l.app ?? "-"}: ${
            l.severity !== null ? `<${SEVERITY[l.severity] ?? l.severity}> ` : ""
          }${l.message}\n`,
        );
      const last = await store.listLogs({ ...query, order: "desc", limit: opts.lines });
      let after = 0;
      for (const l of [...last].reverse()) {
        print(l);
        after = l.id;
      }
      if (!opts.follow) return store.close();
      for (;;) {
        await new Promise((r) => setTimeout(r, 500));
        for (const l of await store.listLogs({ ...query, afterId: after, limit: 1000 })) {
          print(l);
          after = l.id;
        }
      }
    });

  program
    .command("wake")
    .description("send Wake-on-LAN to a machine or to every host of a group")
    .argument("<target>", "hostname, MAC, IP, or group name")
    .addOption(configOption())
    .action(async (target: string, opts: { config?: string }) => {
      const config = await loadFleetConfig(opts.config);
      const resolver = new FleetResolver(config);
      const hosts = wakeTargets(config, resolver, target);
      const sender = new WolSender({ createSocket: () => createSocket("udp4"), repeat: 3 });
      let failed = 0;
      try {
        for (const { name, mac } of hosts) {
          const m = resolver.resolve({ mac });
          if (!m.network) {
            failed++;
            process.stderr.write(
              `${name}: no network known for ${mac}; give the host an ip: in the config\n`,
            );
            continue;
          }
          const r = await sender.wake({ mac, subnet: m.network.subnet });
          process.stdout.write(`${name}: magic packet for ${mac} sent to ${r.address}:${r.port}\n`);
        }
      } finally {
        sender.close();
      }
      if (failed) process.exitCode = 1;
    });
}

function wakeTargets(
  config: FleetConfig,
  resolver: FleetResolver,
  target: string,
): { name: string; mac: string }[] {
  const host = resolver.findHost(target);
  if (host?.mac) return [{ name: host.name, mac: host.mac }];
  if (/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(target))
    return [{ name: target, mac: target.toLowerCase().replaceAll("-", ":") }];
  const group = config.groups.find((g) => g.name === target);
  if (group) {
    const members = config.hosts.filter(
      (h): h is Host & { mac: string } =>
        h.mac !== undefined && resolver.resolve({ mac: h.mac }).groups.includes(group.name),
    );
    if (members.length === 0)
      throw Object.assign(new Error(`group '${target}' has no declared host with a MAC`), {
        hint: "Wake-on-LAN needs the MAC: declare the machines under hosts:",
      });
    return members.map((h) => ({ name: h.name, mac: h.mac }));
  }
  throw Object.assign(new Error(`'${target}' is not a declared host, a MAC or a group`), {
    hint: host ? `host '${host.name}' has no mac: in the config` : "check the name with 'bootfleet machines'",
  });
}
