// `ctr oci COMMAND`: runc's command-line interface, so containerd, CRI-O and
// Podman can use ctr as their OCI runtime. Invoked as `runc` (a symlink) or
// with --runc-compat, these are the top-level commands (cmd/main.ts).
// Errors are reported as runc reports them: a logrus line on stderr, or, with
// --log, a line in the log (JSON with --log-format json) and the bare message
// on stderr; exit status 1.
import { appendFileSync } from "node:fs";
import { hostBoundingSet } from "../runtime/features.ts";
import { capNames } from "../runtime/process/capabilities.ts";
import { ociDelete, ociKill, ociPause, ociPids, ociResume, ociStart, ociState, findOci, listOci, OCI_VERSION, type OciState } from "../runtime/oci.ts";
import { setStateRoot } from "../runtime/state/paths.ts";
import { HOOK_KINDS } from "../spec/types.ts";
import { type Verb, write } from "./_shared.ts";

interface Flag {
  names: string[];
  value?: boolean;
  /** may be repeated: collected into a list */
  many?: boolean;
}

/** exec without --detach exits with the process's status, as runc does */
let exitStatus = 0;

const GLOBAL: Flag[] = [
  { names: ["--root"], value: true }, { names: ["--log"], value: true }, { names: ["--log-format"], value: true },
  { names: ["--systemd-cgroup"] }, { names: ["--debug"] }, { names: ["--rootless"], value: true }, { names: ["--criu"], value: true },
  { names: ["--runc-compat"] }, { names: ["--help", "-h"] }, { names: ["--version", "-v"] },
];

const COMMANDS: Record<string, { flags: Flag[]; usage: string; stopAtPositional?: boolean; run: (pos: string[], o: Record<string, string | boolean>, log: Log) => Promise<void> | void }> = {
  create: {
    usage: "create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID",
    flags: [
      { names: ["--bundle", "-b"], value: true }, { names: ["--pid-file"], value: true }, { names: ["--console-socket"], value: true },
      { names: ["--no-pivot"] }, { names: ["--no-new-keyring"] }, { names: ["--preserve-fds"], value: true },
    ],
    run: async ([id], o, log) => {
      const preserveFds = Number(o["preserve-fds"] ?? 0);
      if (!Number.isInteger(preserveFds) || preserveFds < 0) throw new Error(`invalid --preserve-fds ${o["preserve-fds"]}`);
      if (o["no-pivot"]) log("warning", "--no-pivot ignored: ctr always uses pivot_root");
      const { ociCreate } = await import("../runtime/oci-create.ts");
      await ociCreate(need(id, "create"), String(o.bundle ?? "."), {
        pidFile: o["pid-file"] as string | undefined, consoleSocket: o["console-socket"] as string | undefined, preserveFds, warn: (m: string) => log("warning", m),
      });
    },
  },
  exec: {
    usage: "exec [--process FILE] [--detach] [--pid-file FILE] [--cwd DIR] [--env K=V] [--user UID:GID] ID [COMMAND ARGS...]",
    flags: [
      { names: ["--process", "-p"], value: true }, { names: ["--detach", "-d"] }, { names: ["--pid-file"], value: true },
      { names: ["--tty", "-t"] }, { names: ["--console-socket"], value: true }, { names: ["--cwd"], value: true },
      { names: ["--env", "-e"], value: true, many: true }, { names: ["--user", "-u"], value: true }, { names: ["--preserve-fds"], value: true },
      { names: ["--no-new-privs"] }, { names: ["--cap", "-c"], value: true, many: true }, { names: ["--additional-gids", "-g"], value: true, many: true },
      { names: ["--process-label"], value: true }, { names: ["--apparmor"], value: true },
    ],
    stopAtPositional: true,
    run: async ([id, ...args], o) => {
      const { ociExec } = await import("../runtime/oci-create.ts");
      const { executor, pid } = await ociExec(need(id, "exec"), {
        processFile: o.process as string | undefined, args, cwd: o.cwd as string | undefined, env: (o.env as unknown as string[]) ?? [],
        user: o.user as string | undefined, tty: o.tty === true, detach: o.detach === true, pidFile: o["pid-file"] as string | undefined,
        consoleSocket: o["console-socket"] as string | undefined,
      });
      if (o.detach) return executor.release();
      const { attach } = await import("./_attach.ts");
      exitStatus = await attach(executor, pid, false);
    },
  },
  start: { usage: "start ID", flags: [], run: ([id], _, log) => ociStart(need(id, "start"), (m) => log("warning", m)) },
  state: { usage: "state ID", flags: [], run: ([id]) => print(JSON.stringify(ociState(findOci(need(id, "state"))), null, 2)) },
  kill: {
    usage: "kill [--all] ID [SIGNAL]",
    flags: [{ names: ["--all", "-a"] }],
    run: ([id, sig], o) => ociKill(need(id, "kill"), sig ?? "SIGTERM", o.all === true),
  },
  delete: { usage: "delete [--force] ID", flags: [{ names: ["--force", "-f"] }], run: ([id], o, log) => ociDelete(need(id, "delete"), o.force === true, (m) => log("warning", m)) },
  list: {
    usage: "list [--format table|json] [--quiet]",
    flags: [{ names: ["--format", "-f"], value: true }, { names: ["--quiet", "-q"] }],
    run: (_, o) => {
      const all = listOci();
      if (o.quiet) return print(all.map((s) => s.id).join("\n"));
      if (o.format === "json") return print(all.length ? JSON.stringify(all) : "null");
      print(table([["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], ...all.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, "root"])]));
    },
  },
  ps: {
    usage: "ps [--format table|json] ID",
    flags: [{ names: ["--format", "-f"], value: true }],
    run: ([id], o) => {
      const pids = ociPids(need(id, "ps"));
      if (o.format === "json") return print(JSON.stringify(pids));
      // as runc: ps -ef, keeping the header and the container's processes
      const lines = Bun.spawnSync(["ps", "-ef"]).stdout.toString().split("\n");
      print([lines[0], ...lines.slice(1).filter((l) => pids.includes(Number(l.trim().split(/\s+/)[1])))].join("\n"));
    },
  },
  update: {
    usage: "update [--resources FILE|-] [--memory N] [--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus L] [--cpuset-mems L] [--pids-limit N] [--blkio-weight N] ID",
    flags: [
      { names: ["--resources", "-r"], value: true }, { names: ["--memory"], value: true }, { names: ["--memory-swap"], value: true },
      { names: ["--memory-reservation"], value: true }, { names: ["--cpu-shares"], value: true }, { names: ["--cpu-quota"], value: true },
      { names: ["--cpu-period"], value: true }, { names: ["--cpuset-cpus"], value: true }, { names: ["--cpuset-mems"], value: true },
      { names: ["--pids-limit"], value: true }, { names: ["--blkio-weight"], value: true },
    ],
    run: async ([id], o, log) => {
      const { ociUpdate } = await import("../runtime/oci-create.ts");
      let json: Record<string, any> = {};
      if (o.resources) {
        const text = o.resources === "-" ? await Bun.stdin.text() : await Bun.file(String(o.resources)).text();
        json = JSON.parse(text);
      }
      // runc's flags, one value each, over the JSON
      const num = (k: string) => (o[k] === undefined ? undefined : Number(o[k]));
      const set = (group: string, key: string, v: unknown) => v !== undefined && ((json[group] ??= {})[key] = v);
      set("memory", "limit", num("memory"));
      set("memory", "swap", num("memory-swap"));
      set("memory", "reservation", num("memory-reservation"));
      set("cpu", "shares", num("cpu-shares"));
      set("cpu", "quota", num("cpu-quota"));
      set("cpu", "period", num("cpu-period"));
      set("cpu", "cpus", o["cpuset-cpus"]);
      set("cpu", "mems", o["cpuset-mems"]);
      set("pids", "limit", num("pids-limit"));
      set("blockIO", "weight", num("blkio-weight"));
      ociUpdate(need(id, "update"), json, (m: string) => log("warning", m));
    },
  },
  pause: { usage: "pause ID", flags: [], run: ([id]) => ociPause(need(id, "pause")) },
  resume: { usage: "resume ID", flags: [], run: ([id]) => ociResume(need(id, "resume")) },
  features: { usage: "features", flags: [], run: () => print(JSON.stringify(featureDoc(), null, 4)) },
};

type Log = (level: "error" | "warning", msg: string) => void;

function need(id: string | undefined, cmd: string): string {
  if (!id) throw new Error(`"${cmd}" requires exactly 1 argument(s)`);
  return id;
}

function print(s: string): void {
  if (s) write(1, `${s}\n`);
}

/** Go's tabwriter as runc sets it up: minimum width 12, padding 3. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(12, ...rows.map((r) => r[c]!.length + 3)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("")).join("\n");
}

function parse(args: string[], flags: Flag[], stopAtPositional = false): { opts: Record<string, string | boolean>; pos: string[]; rest: string[] } {
  const opts: Record<string, any> = {};
  const pos: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("-") || a === "-") {
      if (flags === GLOBAL) break; // the command
      pos.push(a);
      // exec ID COMMAND...: everything after the id is the command's
      if (stopAtPositional) {
        pos.push(...args.slice(i + 1));
        i = args.length;
        break;
      }
      continue;
    }
    const eq = a.indexOf("=");
    const key = eq > 0 ? a.slice(0, eq) : a;
    // urfave/cli accepts -flag and --flag alike
    const f = flags.find((x) => x.names.includes(key) || x.names.includes(`-${key}`));
    if (!f) throw new Error(`flag provided but not defined: ${key}`);
    const name = f.names[0]!.replace(/^-+/, "");
    if (f.value && f.many) (opts[name] ??= []).push(eq > 0 ? a.slice(eq + 1) : (args[++i] ?? ""));
    else if (f.value) opts[name] = eq > 0 ? a.slice(eq + 1) : (args[++i] ?? "");
    else opts[name] = eq > 0 ? a.slice(eq + 1) !== "false" : true;
  }
  return { opts, pos, rest: args.slice(i) };
}

function featureDoc() {
  return {
    ociVersionMin: "1.0.0",
    ociVersionMax: OCI_VERSION,
    hooks: [...HOOK_KINDS],
    mountOptions: ["async", "atime", "bind", "dev", "diratime", "dirsync", "exec", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "nomand", "norelatime", "nostrictatime", "nosuid", "rbind", "relatime", "ro", "rw", "silent", "strictatime", "suid", "sync"],
    linux: {
      namespaces: ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"],
      capabilities: capNames(hostBoundingSet()),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      seccomp: { enabled: true, actions: ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"], operators: ["SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"], archs: ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32"] },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { "org.opencontainers.runc.version": "ctr", "io.github.ctr.runtime": "ctr" },
  };
}

function logger(file: string | undefined, format: string): Log {
  return (level, msg) => {
    const time = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const line = format === "json" ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
    if (file) {
      try {
        appendFileSync(file, `${line}\n`);
      } catch {}
      if (level === "error") write(2, `${msg}\n`);
    } else write(2, `${line}\n`);
  };
}

const HELP = `Usage:  ctr oci [--root DIR] [--log FILE] [--log-format text|json] COMMAND [ARGS]

runc's command-line interface over ctr's containers (an OCI id is the container's name)

Commands:
${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join("\n")}

Invoked as 'runc' (a symlink to ctr), or with --runc-compat, these are ctr's top-level commands.`;

const oci: Verb = async (argv) => {
  let log = logger(undefined, "text");
  let cmdName = "";
  try {
    const g = parse(argv, GLOBAL);
    log = logger(g.opts.log as string | undefined, String(g.opts["log-format"] ?? "text"));
    if (g.opts["log-format"] && !["text", "json"].includes(String(g.opts["log-format"]))) throw new Error(`invalid log-format: ${g.opts["log-format"]}`);
    if (g.opts["systemd-cgroup"]) throw new Error("--systemd-cgroup is not supported: ctr manages cgroupfs directly; configure the caller for cgroupfs (Podman: --cgroup-manager=cgroupfs, containerd: SystemdCgroup = false)");
    if (g.opts.root) setStateRoot(String(g.opts.root));
    const [cmd, ...rest] = g.rest;
    if (g.opts.version) {
      write(1, `ctr (runc-compatible)\nspec: ${OCI_VERSION}\n`);
      return 0;
    }
    if (g.opts.help || !cmd || cmd === "help" || cmd === "--help" || rest.includes("--help") || rest.includes("-h")) {
      write(1, `${HELP}\n`);
      return 0;
    }
    if (cmd === "version") {
      write(1, `ctr (runc-compatible)\nspec: ${OCI_VERSION}\n`);
      return 0;
    }
    cmdName = cmd;
    const c = COMMANDS[cmd];
    if (!c) throw new Error(`No help topic for '${cmd}'`);
    const { opts, pos } = parse(rest, c.flags, c.stopAtPositional);
    await c.run(pos, opts, log);
    return exitStatus;
  } catch (e) {
    // runc's exec reports its failures so, with status 255
    const exec = cmdName === "exec";
    log("error", `${exec ? "exec failed: " : ""}${(e as Error).message.split("\n")[0]!}`);
    return exec ? 255 : 1;
  }
};
export default oci;

export type { OciState };
