/**
 * The iPXE script's fallback across servers, run through a model of the
 * part of iPXE's script engine it uses (ipxe/ipxe src/core/exec.c,
 * src/image/script.c, src/hci/commands/image_cmd.c): `cmd || goto label`,
 * labels, and an image list where a failed download registers nothing and
 * `imgfree` empties the list. A command the model does not know fails the
 * test, so a typo in the renderer cannot pass as a fallback.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  fakeImages,
  fleetConfig,
  goldenResolver,
  resolved,
  v,
} from "../../test/fixtures/boot/fleet-fixture.js";
import type { BootPlan } from "./boot-plan.js";
import { fallbackServers } from "./fallback-servers.js";
import { FleetBootPlanner } from "./fleet-boot-planner.js";
import { renderIpxeScript } from "./render-ipxe.js";

interface Image {
  readonly name: string;
  readonly url: string;
}

type Outcome =
  | { readonly booted: readonly Image[]; readonly said: readonly string[] }
  | { readonly chained: string; readonly said: readonly string[]; readonly ran: readonly string[] };

/** Options each command of the script may carry, as iPXE's option tables have them. */
const OPTIONS: Readonly<Record<string, readonly string[]>> = {
  kernel: ["--timeout", "--name"],
  initrd: ["--timeout", "--name"],
  chain: ["--replace", "--autofree"],
};

function run(script: string, fails: (url: string) => boolean, start?: string): Outcome {
  const lines = script.split("\n");
  const labels = new Map<string, number>();
  lines.forEach((l, i) => {
    const m = /^:(\S+)$/.exec(l);
    if (m?.[1]) labels.set(m[1], i);
  });
  let images: Image[] = [];
  const said: string[] = [];
  const ran: string[] = [];
  let pc = start === undefined ? 0 : labels.get(start)!;
  assert.ok(pc !== undefined, `no label ${start}`);
  for (let steps = 0; steps < 1000 && pc < lines.length; steps++) {
    const line = lines[pc++]!.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(":")) continue;
    const [command, orElse] = line.split(" || ");
    const words = command!.split(/ +/);
    const verb = words[0]!;
    ran.push(verb);
    const opts = new Map<string, string>();
    let i = 1;
    while (words[i]?.startsWith("--")) {
      const o = words[i++]!;
      assert.ok(OPTIONS[verb]?.includes(o), `${verb} takes no ${o}: ${line}`);
      opts.set(o, o === "--timeout" || o === "--name" ? words[i++]! : "");
    }
    let ok = true;
    switch (verb) {
      case "echo":
        said.push(words.slice(1).join(" "));
        break;
      case "imgfree":
        images = [];
        break;
      case "kernel":
      case "initrd": {
        const url = words[i]!;
        assert.match(opts.get("--timeout") ?? "", /^[1-9][0-9]*$/, `a stalled download must end: ${line}`);
        ok = !fails(url);
        if (ok) images.push({ name: opts.get("--name") ?? url.slice(url.lastIndexOf("/") + 1), url });
        break;
      }
      case "boot":
        return { booted: images, said };
      case "goto":
        pc = labels.get(words[1]!)!;
        assert.ok(pc !== undefined, `goto to a missing label: ${line}`);
        break;
      case "sleep":
        assert.match(words[1] ?? "", /^[1-9][0-9]*$/);
        break;
      case "dhcp":
        break;
      case "chain":
        assert.ok(opts.has("--replace"), "the next script replaces this one");
        return { chained: words[i]!, said, ran };
      default:
        assert.fail(`a command the model does not know: ${line}`);
    }
    if (!ok) {
      assert.ok(orElse, `a failed command without a fallback ends the script: ${line}`);
      const m = /^goto (\S+)$/.exec(orElse);
      assert.ok(m?.[1] && labels.has(m[1]), `fallback to a missing label: ${orElse}`);
      pc = labels.get(m[1])!;
    }
  }
  assert.fail("the script neither booted nor chained");
}

const LAB6 = "52:54:00:00:00:0c";

function plan(servers?: readonly string[], mac = LAB6): BootPlan {
  const r = goldenResolver();
  if (servers) r.add(mac, (f) => resolved(f, { hostname: "lab6-1", servers: v(servers, "group", "lab6") }));
  const p = new FleetBootPlanner({
    config: fleetConfig(),
    resolver: r,
    images: fakeImages(),
    clock: { now: () => 0 },
  }).plan({ mac, arch: 0, ipxe: true });
  assert.ok(p);
  return p;
}

const hostOf = (url: string): string => new URL(url).hostname;
const dead =
  (...hosts: string[]) =>
  (url: string): boolean =>
    hosts.includes(hostOf(url));

test("ipxe fallback: all well, this server gives the kernel and both initrds", () => {
  const out = run(renderIpxeScript(plan(["198.18.50.2", "198.18.50.1"])), () => false);
  assert.ok("booted" in out);
  assert.deepEqual(
    out.booted.map((i) => `${i.name} ${hostOf(i.url)}`),
    ["vmlinuz 198.18.50.1", "initrd.img 198.18.50.1", "layers.cpio 198.18.50.1"],
  );
});

test("ipxe fallback: this server dead, every file comes from the next in servers:", () => {
  const out = run(renderIpxeScript(plan(["198.18.50.2", "198.18.50.3"])), dead("198.18.50.1"));
  assert.ok("booted" in out);
  assert.deepEqual(
    out.booted.map((i) => `${i.name} ${i.url}`),
    [
      "vmlinuz http://198.18.50.2:8080/images/debian/2024.06.01/vmlinuz",
      "initrd.img http://198.18.50.2:8080/images/debian/2024.06.01/initrd.img",
      `layers.cpio http://198.18.50.2:8080/boot/${LAB6}/layers.cpio`,
    ],
  );
  assert.ok(out.said.includes("bootfleet: debian@2024.06.01 from 198.18.50.2"));
});

test("ipxe fallback: a server dying after the kernel leaves nothing of its attempt to boot", () => {
  // The kernel and initrd.img came from .1 before it died: the boot must
  // not take them (nor a second copy of a name) along with .3's.
  const out = run(
    renderIpxeScript(plan(["198.18.50.2", "198.18.50.3"])),
    (url) => (url.endsWith("layers.cpio") && hostOf(url) === "198.18.50.1") || hostOf(url) === "198.18.50.2",
  );
  assert.ok("booted" in out);
  assert.deepEqual(
    out.booted.map((i) => `${i.name} ${hostOf(i.url)}`),
    ["vmlinuz 198.18.50.3", "initrd.img 198.18.50.3", "layers.cpio 198.18.50.3"],
  );
});

test("ipxe fallback: every server dead, the script says so, waits and chains the next DHCP answer's script", () => {
  for (const servers of [["198.18.50.2"], undefined]) {
    const out = run(renderIpxeScript(plan(servers)), () => true);
    assert.ok("chained" in out, "no boot");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: iPXE's variable, the new DHCP answer's boot file
    assert.equal(out.chained, "${filename}");
    assert.deepEqual(out.ran.slice(-4), ["echo", "sleep", "dhcp", "chain"]);
    assert.match(
      out.said.at(-1) ?? "",
      /^bootfleet: could not fetch the boot files of this machine, asking DHCP again in \d+ s$/,
    );
  }
});

test("ipxe fallback: a menu's every image falls back, not only the default", () => {
  const withServers = (() => {
    const r = goldenResolver();
    const base = r.resolve({ mac: "52:54:00:00:00:02" });
    r.add("52:54:00:00:00:02", (f) => ({ ...base, facts: f, servers: v(["198.18.50.2"], "host", "webc2") }));
    const p = new FleetBootPlanner({ config: fleetConfig(), resolver: r, images: fakeImages() }).plan({
      mac: "52:54:00:00:00:02",
      arch: 0,
      ipxe: true,
    });
    assert.ok(p?.menu);
    return renderIpxeScript(p);
  })();
  for (const image of ["trusty-amd64", "trusty-i386", "debian"]) {
    const out = run(withServers, dead("198.18.50.1"), `image-${image}`);
    assert.ok("booted" in out);
    assert.deepEqual(
      out.booted.map((i) => i.url),
      [
        `http://198.18.50.2:8080/images/${image}/${image === "debian" ? "2024.06.01" : image === "trusty-i386" ? "2014.10.1" : "2014.10.2"}/vmlinuz`,
        `http://198.18.50.2:8080/images/${image}/${image === "debian" ? "2024.06.01" : image === "trusty-i386" ? "2014.10.1" : "2014.10.2"}/initrd.img`,
        "http://198.18.50.2:8080/boot/52:54:00:00:00:02/layers.cpio",
      ],
    );
  }
});

test("fallbackServers: the layer's order without this server, each once, on this server's port and path", () => {
  assert.deepEqual(
    fallbackServers("198.18.50.1", "http://198.18.50.1:8080", [
      "198.18.50.3",
      "198.18.50.1",
      "198.18.50.2",
      "198.18.50.3",
    ]),
    [
      { address: "198.18.50.3", httpBase: "http://198.18.50.3:8080" },
      { address: "198.18.50.2", httpBase: "http://198.18.50.2:8080" },
    ],
  );
  assert.deepEqual(fallbackServers("198.18.50.1", "http://boot.example:80/bf/", ["198.18.50.2"]), [
    { address: "198.18.50.2", httpBase: "http://198.18.50.2/bf" },
  ]);
  assert.deepEqual(fallbackServers("198.18.50.1", "http://198.18.50.1:8080", undefined), []);
  assert.deepEqual(fallbackServers("198.18.50.1", "http://198.18.50.1:8080", ["198.18.50.1"]), []);
});
