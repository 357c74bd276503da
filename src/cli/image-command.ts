/**
 * `bootfleet image build|list|use|rm|shell|commit`: thin wiring over
 * src/images/. The data folder is `server.data_dir` and the number of
 * versions kept `images_keep` from the config. Failures are ImageErrors whose
 * message already says what to do; main.ts prints them and exits 1.
 */
import { resolve } from "node:path";
import type { Command, Option } from "commander";
import type { FleetConfig } from "../config/model.js";
import { type BuildImageOptions, type BuildImageResult, buildImage } from "../images/build-image.js";
import { commitImage } from "../images/commit-image.js";
import { ImageCatalog } from "../images/image-catalog.js";
import { imageShell } from "../images/image-shell.js";
import { formatBytes, formatImageListing, listImages } from "../images/list-images.js";
import { formatPublishedListing, listPublished } from "../images/list-published.js";
import { openPublishedImages, publisherOf } from "../images/open-published-images.js";
import { publishImage } from "../images/publish-image.js";
import { ProgressBar } from "../images/progress-reporter.js";
import { removeImage } from "../images/remove-image.js";
import { useImage } from "../images/use-image.js";

interface BuildFlags {
  readonly config?: string;
  readonly from: string;
  readonly include?: string[];
  readonly mirror?: string;
  readonly variant?: string;
  readonly arch?: string;
  readonly kernel?: string;
  readonly modulesFrom?: string;
  readonly module?: string[];
  readonly compression?: string;
  readonly use: boolean;
  readonly keepSource?: boolean;
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean),
];

function report(r: BuildImageResult, activated: boolean): string {
  const m = r.manifest;
  return (
    `built ${r.name} version ${r.version} in ${(r.durationMs / 1000).toFixed(1)} s: ` +
    `root.squashfs ${formatBytes(m.size)} (sha256 ${m.sha256.slice(0, 16)}...), kernel ${m.kernel_version}, ` +
    `${m.hook.modules.length} module(s) in the hook\n` +
    `  ${r.paths.dir}\n` +
    (activated
      ? `  ${r.name} now boots ${r.version}\n`
      : `  not made current: 'bootfleet image use ${r.name} ${r.version}'\n`) +
    (r.pruned.length ? `  removed old version(s): ${r.pruned.join(", ")}\n` : "")
  );
}

/**
 * On a build server with a shared store, the version the fleet should boot
 * is published for the serving servers to pull (docs/ha.md); on SQLite or
 * on a server without the build role, nothing. Returns the line to print.
 */
async function publishForPeers(config: FleetConfig, name: string, version: string): Promise<string> {
  if (!config.server.roles.includes("build")) return "";
  const store = await openPublishedImages(config);
  if (!store) return "";
  try {
    const publisher = publisherOf(config);
    await publishImage(new ImageCatalog(resolve(config.server.data_dir)), store, publisher, name, version);
    return `  published for the other servers, served from ${publisher.url}\n`;
  } finally {
    await store.close();
  }
}

/** After `image rm`: on a shared store, this server no longer holds what it removed. */
async function forgetHeld(config: FleetConfig, name: string, version: string | undefined): Promise<void> {
  const store = await openPublishedImages(config);
  if (!store) return;
  try {
    const me = publisherOf(config).server;
    for (const h of await store.holders())
      if (h.server === me && h.name === name && (version === undefined || h.version === version))
        await store.release(h.name, h.version, me);
  } finally {
    await store.close();
  }
}

/**
 * `loadConfig` gets the -c value when `configOption` is given (main.ts's
 * `loadFleetConfig` and `configOption` fit); without it, the caller's own
 * way of finding the config applies.
 */
export function registerImageCommands(
  program: Command,
  loadConfig: (configFile?: string) => Promise<FleetConfig>,
  configOption?: () => Option,
): void {
  const image = program.command("image").description("build, list, switch and remove client images");
  const sub = (name: string) => {
    const c = image.command(name);
    if (configOption) c.addOption(configOption());
    return c;
  };
  const catalogOf = (config: FleetConfig) => new ImageCatalog(resolve(config.server.data_dir));

  sub("build")
    .description(
      "build a new version of an image: root.squashfs, vmlinuz and initrd.img with the client hook",
    )
    .argument("<name>", "image name (lower-case letters, digits, '.', '_', '-')")
    .requiredOption(
      "--from <source>",
      "a root folder, debootstrap:SUITE (e.g. debootstrap:bookworm), or a squashfs/ext4/erofs file",
    )
    .option("--include <packages>", "debootstrap: more packages, comma-separated (repeatable)", collect)
    .option("--mirror <url>", "debootstrap: Debian mirror (default http://deb.debian.org/debian)")
    .option("--variant <variant>", "debootstrap: the tool's --variant")
    .option(
      "--arch <arch>",
      "Debian architecture of the clients, e.g. arm64: debootstrap builds it (default: this server's); a folder or file must hold it",
    )
    .option("--kernel <version>", "which kernel of the image's /boot (default: the newest)")
    .option(
      "--modules-from <dir>",
      "take the hook's kernel modules from DIR/lib/modules/<version> instead of the image",
    )
    .option("--module <name>", "another kernel module for the hook, e.g. a NIC driver (repeatable)", collect)
    .option("--compression <method>", "squashfs compression: zstd (default), xz, gzip, lz4, lzo")
    .option("--no-use", "do not make the new version current")
    .option("--keep-source", "keep the root tree for 'image shell' (default for folders and debootstrap)")
    .option("--no-keep-source", "do not keep the root tree")
    .action(async (name: string, flags: BuildFlags) => {
      const config = await loadConfig(flags.config);
      const progress = new ProgressBar(process.stderr);
      const opts: BuildImageOptions = {
        dataDir: resolve(config.server.data_dir),
        name,
        from: flags.from,
        include: flags.include,
        mirror: flags.mirror,
        variant: flags.variant,
        arch: flags.arch,
        kernelVersion: flags.kernel,
        modulesFrom: flags.modulesFrom ? resolve(flags.modulesFrom) : undefined,
        extraModules: flags.module,
        compression: flags.compression,
        keep: config.images_keep,
        activate: flags.use,
        keepSource: flags.keepSource,
      };
      const r = await buildImage(opts, progress);
      process.stdout.write(report(r, flags.use));
      if (flags.use) process.stdout.write(await publishForPeers(config, r.name, r.version));
    });

  sub("commit")
    .description("squash the image's source tree (changed with 'image shell') into a new version")
    .argument("<name>", "image name")
    .option("--kernel <version>", "which kernel of the image's /boot (default: the newest)")
    .option("--modules-from <dir>", "take the hook's kernel modules from DIR (default: as the last build)")
    .option("--module <name>", "another kernel module for the hook (repeatable)", collect)
    .option("--compression <method>", "squashfs compression: zstd (default), xz, gzip, lz4, lzo")
    .option("--no-use", "do not make the new version current")
    .action(
      async (
        name: string,
        flags: {
          config?: string;
          kernel?: string;
          modulesFrom?: string;
          module?: string[];
          compression?: string;
          use: boolean;
        },
      ) => {
        const config = await loadConfig(flags.config);
        const r = await commitImage(
          {
            dataDir: resolve(config.server.data_dir),
            name,
            kernelVersion: flags.kernel,
            modulesFrom: flags.modulesFrom ? resolve(flags.modulesFrom) : undefined,
            extraModules: flags.module,
            compression: flags.compression,
            keep: config.images_keep,
            activate: flags.use,
          },
          new ProgressBar(process.stderr),
        );
        process.stdout.write(report(r, flags.use));
        if (flags.use) process.stdout.write(await publishForPeers(config, r.name, r.version));
      },
    );

  sub("list")
    .description("every image and version: current, in use, size, kernel, when and from what it was built")
    .option("--json", "print JSON")
    .action(async (flags: { config?: string; json?: boolean }) => {
      const config = await loadConfig(flags.config);
      const images = await listImages(catalogOf(config));
      const store = await openPublishedImages(config);
      if (!store) {
        process.stdout.write(
          flags.json ? `${JSON.stringify(images, null, 2)}\n` : formatImageListing(images),
        );
        return;
      }
      // A shared store: also what the build servers published and who holds it.
      try {
        const published = await listPublished(store);
        process.stdout.write(
          flags.json
            ? `${JSON.stringify({ images, published }, null, 2)}\n`
            : `${formatImageListing(images)}\npublished in the store:\n${formatPublishedListing(published)}`,
        );
      } finally {
        await store.close();
      }
    });

  sub("use")
    .description("make VERSION the one NAME boots (atomic switch; clients pick it up at their next boot)")
    .argument("<name>", "image name")
    .argument("<version>", "a version from 'bootfleet image list'")
    .action(async (name: string, version: string, flags: { config?: string }) => {
      const config = await loadConfig(flags.config);
      const r = await useImage(catalogOf(config), name, version);
      process.stdout.write(
        r.previous === version
          ? `${name} already boots ${version}\n`
          : `${name} now boots ${version}${r.previous ? ` (was ${r.previous})` : ""}\n`,
      );
      process.stdout.write(await publishForPeers(config, name, version));
    });

  sub("rm")
    .description("remove one version, or the whole image; refuses what a connected client uses")
    .argument("<name>", "image name")
    .argument("[version]", "the version to remove (default: the whole image)")
    .action(async (name: string, version: string | undefined, flags: { config?: string }) => {
      const config = await loadConfig(flags.config);
      await removeImage(catalogOf(config), name, version);
      await forgetHeld(config, name, version);
      process.stdout.write(version ? `removed ${name} version ${version}\n` : `removed image ${name}\n`);
    });

  sub("shell")
    .description(
      "a root shell in the image's source tree with /proc, /sys and /dev bound; then 'image commit'",
    )
    .argument("<name>", "image name")
    .argument(
      "[command...]",
      "run this instead of an interactive shell (after --: image shell NAME -- apt-get update)",
    )
    .action(async (name: string, command: string[], flags: { config?: string }) => {
      const config = await loadConfig(flags.config);
      const r = await imageShell({ dataDir: resolve(config.server.data_dir), name, command });
      if (r.exitCode === 0 && command.length === 0) {
        process.stderr.write(
          `left the image shell; 'bootfleet image commit ${name}' makes a version of the changes\n`,
        );
      }
      process.exitCode = r.exitCode;
    });
}
