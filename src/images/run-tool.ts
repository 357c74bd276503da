/**
 * Runs the external tools an image build needs (mksquashfs, unsquashfs,
 * debootstrap, mmdebstrap, cp, ...) and turns their failures into
 * ImageErrors that say what to install or what went wrong.
 */
import { spawn } from "node:child_process";
import { constants as osConstants } from "node:os";
import { ImageError } from "./image-error.js";

/** The Debian package that provides each tool, for "install X" messages. */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  mksquashfs: "squashfs-tools",
  unsquashfs: "squashfs-tools",
  debootstrap: "debootstrap",
  mmdebstrap: "mmdebstrap",
  debugfs: "e2fsprogs",
  "fsck.erofs": "erofs-utils",
  xz: "xz-utils",
  zstd: "zstd",
  cp: "coreutils",
  chroot: "coreutils",
  mount: "mount",
  umount: "mount",
};

export interface RunToolOptions {
  readonly cwd?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Called with every piece of output between \r or \n (progress lines). */
  readonly onLine?: ((line: string, stream: "stdout" | "stderr") => void) | undefined;
  /** Keep all of stdout (default: only its last 64 KiB, for error messages). */
  readonly captureStdout?: boolean | undefined;
  /** Pass the terminal through (interactive chroot shell). */
  readonly interactive?: boolean | undefined;
  /** Resolve with the exit code instead of rejecting when it is not 0. */
  readonly anyExitCode?: boolean | undefined;
}

export interface ToolResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; 128 + signal number when killed. */
  readonly code: number;
}

const TAIL = 64 * 1024;

export function packageOf(tool: string): string | undefined {
  return PACKAGE_OF[tool.split("/").pop() ?? tool];
}

export function runTool(
  command: string,
  args: readonly string[],
  options: RunToolOptions = {},
): Promise<ToolResult> {
  const name = command.split("/").pop() ?? command;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.interactive ? "inherit" : ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const pending = { stdout: "", stderr: "" };
    const feed = (which: "stdout" | "stderr", chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (which === "stdout") {
        stdout += text;
        if (!options.captureStdout && stdout.length > TAIL * 2) stdout = stdout.slice(-TAIL);
      } else {
        stderr += text;
        if (stderr.length > TAIL * 2) stderr = stderr.slice(-TAIL);
      }
      if (!options.onLine) return;
      const parts = (pending[which] + text).split(/[\r\n]/);
      pending[which] = parts.pop() ?? "";
      for (const line of parts) if (line.length) options.onLine(line, which);
    };
    child.stdout?.on("data", (c: Buffer) => feed("stdout", c));
    child.stderr?.on("data", (c: Buffer) => feed("stderr", c));
    child.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") {
        const pkg = packageOf(name);
        reject(
          new ImageError(
            "TOOL_MISSING",
            `${name} not found${command.includes("/") ? ` at ${command}` : " in PATH"}: ` +
              (pkg ? `install it with 'apt-get install ${pkg}'` : `install ${name}`),
            { cause: err },
          ),
        );
      } else {
        reject(new ImageError("TOOL_FAILED", `cannot run ${name}: ${err.message}`, { cause: err }));
      }
    });
    child.on("close", (code, signal) => {
      for (const which of ["stdout", "stderr"] as const) {
        if (pending[which] && options.onLine) options.onLine(pending[which], which);
      }
      if (code === 0 || (options.anyExitCode && (code !== null || signal !== null))) {
        resolve({ stdout, stderr, code: code ?? 128 + (signalNumber(signal) ?? 0) });
        return;
      }
      const said = lastLines(`${stderr}\n${options.captureStdout ? "" : stdout}`, 6);
      if (/no space left on device|disk quota exceeded/i.test(said)) {
        reject(new ImageError("DISK_FULL", `${name}: no space left on device`));
        return;
      }
      reject(
        new ImageError(
          "TOOL_FAILED",
          `${name} ${signal ? `was killed by ${signal}` : `failed with exit code ${code}`}${said ? `:\n${said}` : ""}`,
        ),
      );
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number | undefined {
  if (!signal) return undefined;
  return (osConstants.signals as Record<string, number>)[signal];
}

function lastLines(text: string, n: number): string {
  return text
    .split(/[\r\n]+/)
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0 && !/^\s*\[[=|/\\\-\s]*\]/.test(l))
    .slice(-n)
    .join("\n");
}
