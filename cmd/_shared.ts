// What every verb shares: the verb table, global flags, the one error handler
// that maps errors to Docker's exit codes, and output helpers.
import { writeSync } from "node:fs";
import { setStateRoot } from "../runtime/state/paths.ts";

export type Verb = (args: string[]) => Promise<number | void>;

interface VerbEntry {
  summary: string;
  load: () => Promise<{ default: Verb }>;
  /** exit status for an engine error: 125 for verbs that run containers (as Docker), else 1 */
  errorCode: number;
}

export const VERBS: Record<string, VerbEntry> = {
  run: { summary: "Create and run a new container from a rootfs or a TOML file", load: () => import("./run.ts"), errorCode: 125 },
  create: { summary: "Create a new container without starting it", load: () => import("./create.ts"), errorCode: 125 },
  start: { summary: "Start one or more created containers", load: () => import("./start.ts"), errorCode: 1 },
  exec: { summary: "Run a command in a running container", load: () => import("./exec.ts"), errorCode: 126 },
  ps: { summary: "List containers", load: () => import("./ps.ts"), errorCode: 1 },
  inspect: { summary: "Display detailed information on containers", load: () => import("./inspect.ts"), errorCode: 1 },
  logs: { summary: "Fetch the logs of a container", load: () => import("./logs.ts"), errorCode: 1 },
  stop: { summary: "Stop one or more running containers", load: () => import("./stop.ts"), errorCode: 1 },
  kill: { summary: "Kill one or more running containers", load: () => import("./kill.ts"), errorCode: 1 },
  rm: { summary: "Remove one or more containers", load: () => import("./rm.ts"), errorCode: 1 },
  top: { summary: "Display the running processes of a container", load: () => import("./top.ts"), errorCode: 1 },
  rename: { summary: "Rename a container", load: () => import("./rename.ts"), errorCode: 1 },
  pause: { summary: "Pause all processes within one or more containers", load: () => import("./pause.ts"), errorCode: 1 },
  unpause: { summary: "Unpause all processes within one or more containers", load: () => import("./unpause.ts"), errorCode: 1 },
  stats: { summary: "Display a live stream of container(s) resource usage statistics", load: () => import("./stats.ts"), errorCode: 1 },
  checkpoint: { summary: "Checkpoint a running container with CRIU (to its directory, or --export FILE)", load: () => import("./checkpoint.ts"), errorCode: 125 },
  restore: { summary: "Restore a checkpointed container (or --import FILE) with CRIU", load: () => import("./restore.ts"), errorCode: 125 },
  wait: { summary: "Block until containers stop, then print their exit codes", load: () => import("./wait.ts"), errorCode: 1 },
  spec: { summary: "Check container definition files (spec validate FILE)", load: () => import("./spec.ts"), errorCode: 1 },
  network: { summary: "Manage networks (create, ls, inspect, rm, connect, disconnect)", load: () => import("./network.ts"), errorCode: 1 },
  "net-dns": { summary: "(internal) A user-defined network's DNS server; started by run", load: () => import("./net-dns.ts"), errorCode: 1 },
  port: { summary: "List port mappings or a specific mapping for the container", load: () => import("./port.ts"), errorCode: 1 },
  "port-proxy": { summary: "(internal) Forward a container's published ports; started by run", load: () => import("./port-proxy.ts"), errorCode: 1 },
  pull: { summary: "Download an image from a registry", load: () => import("./pull.ts"), errorCode: 1 },
  login: { summary: "Log in to a registry", load: () => import("./login.ts"), errorCode: 1 },
  logout: { summary: "Log out from a registry", load: () => import("./logout.ts"), errorCode: 1 },
  image: { summary: "Manage images (ls, inspect, import, load, save, rm, tag, prune)", load: () => import("./image.ts"), errorCode: 1 },
  images: { summary: "List images", load: () => import("./image.ts").then((m) => ({ default: m.alias("ls") })), errorCode: 1 },
  rmi: { summary: "Remove one or more images", load: () => import("./image.ts").then((m) => ({ default: m.alias("rm") })), errorCode: 1 },
  tag: { summary: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", load: () => import("./image.ts").then((m) => ({ default: m.alias("tag") })), errorCode: 1 },
  load: { summary: "Load an image from a docker save archive or an OCI layout", load: () => import("./image.ts").then((m) => ({ default: m.alias("load") })), errorCode: 1 },
  save: { summary: "Save images to an OCI layout tar", load: () => import("./image.ts").then((m) => ({ default: m.alias("save") })), errorCode: 1 },
  import: { summary: "Import a rootfs tarball as an image", load: () => import("./image.ts").then((m) => ({ default: m.alias("import") })), errorCode: 1 },
  oci: { summary: "runc's OCI runtime commands (create, start, state, kill, delete...) for containerd and Podman", load: () => import("./oci.ts"), errorCode: 1 },
  debug: { summary: "Show what ctr would do (debug plan ...)", load: () => import("./debug.ts"), errorCode: 125 },
  daemon: { summary: "Serve the Docker Engine API on a unix socket or TCP", load: () => import("./daemon.ts"), errorCode: 1 },
  version: { summary: "Show the version and the kernel features detected", load: () => import("./version.ts"), errorCode: 1 },
  check: { summary: "Check kernel features, cgroups and a real container with limits and network", load: () => import("./check.ts"), errorCode: 1 },
};

export function globalHelp(): string {
  const verbs = Object.entries(VERBS)
    .map(([n, v]) => `  ${n.padEnd(10)} ${v.summary}`)
    .join("\n");
  return `Usage:  ctr [OPTIONS] COMMAND

A container engine for bare Linux hosts, in one executable

Commands:
${verbs}

Global Options:
      --root string        State directory (default "/run/ctr", or $CTR_ROOT)
      --log-level string   Set the logging level ("debug"|"info"|"warn"|"error") (default "info")
  -H, --host string        Daemon to connect to (unix:///path or tcp://host:port; or $CTR_HOST)

Run 'ctr COMMAND --help' for more information on a command.
`;
}

/** Global flags come before the verb, as with docker. */
export function parseGlobals(argv: string[]): { rest: string[]; host?: string } {
  let i = 0;
  let host: string | undefined = process.env.CTR_HOST;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i] ?? usage(`flag needs an argument: ${flag}`);
    if (flag === "--root") setStateRoot(value());
    else if (flag === "--log-level" || flag === "-l") {
      const level = value();
      if (!["debug", "info", "warn", "error"].includes(level)) usage(`invalid log level "${level}": use debug, info, warn or error`);
      process.env.CTR_LOG_LEVEL = level;
    }
    else if (flag === "-H" || flag === "--host") host = value();
    else break;
  }
  return { rest: argv.slice(i), host };
}

export class UsageError extends Error {}

export function usage(msg: string): never {
  throw new UsageError(msg);
}

/** One line on stderr, the exit status Docker would use. */
export function fail(e: unknown, engineCode: number): number {
  const err = e as Error & { exitCode?: number };
  const msg = (err?.message ?? String(e)).split("\n")[0];
  write(2, `ctr: ${msg}\n`);
  if (err?.name === "UsageError" || err?.name === "SpecError" || err instanceof UsageError) {
    if (err instanceof UsageError) write(2, "See 'ctr --help'.\n");
    return engineCode === 1 ? 1 : 125;
  }
  if (err?.name === "EngineError" && typeof err.exitCode === "number") return err.exitCode === 125 ? engineCode : err.exitCode;
  if (process.env.CTR_LOG_LEVEL === "debug") (require("./_log.ts") as typeof import("./_log.ts")).debug(String(err?.stack));
  return engineCode;
}

/** Tiny flag parser for the simple verbs (ps, rm, logs...): known flags only. */
export interface SimpleFlag {
  name: string;
  short?: string;
  value?: boolean;
  help: string;
}

export function parseSimple(args: string[], flags: SimpleFlag[], help: string): { opts: Record<string, string | boolean>; positionals: string[] } {
  const opts: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--help") {
      write(1, `${help}\n\nOptions:\n${flags.map((f) => `  ${f.short ? `-${f.short}, ` : "    "}--${f.name}${f.value ? " string" : ""}`.padEnd(30) + f.help).join("\n")}\n`);
      process.exit(0);
    }
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const key = eq > 0 ? a.slice(0, eq) : a;
    const match = (f: SimpleFlag) => key === `--${f.name}` || (f.short && key === `-${f.short}`);
    let f = flags.find(match);
    if (!f && /^-[a-zA-Z]{2,}$/.test(a)) {
      // combined short booleans: -aq
      for (const c of a.slice(1)) {
        const g = flags.find((x) => x.short === c && !x.value);
        if (!g) usage(`unknown shorthand flag: '${c}' in ${a}`);
        opts[g.name] = true;
      }
      continue;
    }
    if (!f) usage(`unknown flag: ${key}`);
    f = f!;
    if (f.value) opts[f.name] = eq > 0 ? a.slice(eq + 1) : (args[++i] ?? usage(`flag needs an argument: ${key}`));
    else opts[f.name] = eq > 0 ? a.slice(eq + 1) !== "false" : true;
  }
  return { opts, positionals };
}

export function out(s: string): void {
  if (s === "") return; // an empty listing prints nothing, not a blank line
  write(1, s.endsWith("\n") ? s : `${s}\n`);
}

/** Synchronous writes: the CLI ends with _exit, so nothing may sit in a buffer. */
export function write(fd: 1 | 2, s: string | Uint8Array): void {
  const b = typeof s === "string" ? Buffer.from(s) : s;
  let off = 0;
  while (off < b.length) {
    try {
      off += writeSync(fd, b, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Bun.sleepSync(1);
    }
  }
}

/**
 * The loop every multi-container verb has (stop, kill, rm, pause...): act on
 * each, print its name on success and Docker's error line otherwise; exit 1
 * if any failed.
 */
export async function eachContainer(refs: string[], act: (ref: string) => unknown | Promise<unknown>): Promise<number> {
  let failed = 0;
  for (const ref of refs) {
    try {
      await act(ref);
      out(ref);
    } catch (e) {
      write(2, `Error response from daemon: ${(e as Error).message}\n`);
      failed++;
    }
  }
  return failed ? 1 : 0;
}

/**
 * Flags of a subcommand given as name lists (image, network): values may
 * repeat (--opt a=1 --opt b=2) and keep their order; booleans stand alone;
 * anything else is Docker's "unknown flag". `last` picks a value by any of its names.
 */
export function parseNamed(args: string[], values: string[], bools: string[], help: string): { v: Record<string, string[]>; b: Set<string>; pos: string[] } {
  const v: Record<string, string[]> = {};
  const b = new Set<string>();
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("-") || a === "-") {
      pos.push(a);
      continue;
    }
    const [k, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (values.includes(k)) (v[k] ??= []).push(inline ?? args[++i] ?? usage(`flag needs an argument: ${k}`));
    else if (bools.includes(k)) b.add(k);
    else if (k === "--help") {
      out(help);
      process.exit(0);
    } else usage(`unknown flag: ${k}`);
  }
  return { v, b, pos };
}

export const last = (v: Record<string, string[]>, ...names: string[]): string | undefined =>
  names.map((n) => v[n]?.at(-1)).find((x) => x !== undefined);
