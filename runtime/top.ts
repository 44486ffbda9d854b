// `top`: the container's processes as the host sees them (host PIDs), with
// ps -o style columns, read from /proc for every pid in the container's cgroup.
import { readFileSync } from "node:fs";
import { cgroupPids } from "../cgroup/cgroup.ts";
import type { ContainerRecord } from "./state/record.ts";

interface Proc {
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  args: string;
  state: string;
  utime: number;
  stime: number;
  starttime: number;
  rssKb: number;
  vszKb: number;
  tty: number;
}

const CLK_TCK = 100;

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (k: string) => new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(status)?.[1];
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    return {
      pid, comm, args: args || `[${comm}]`, state: f[0]!, ppid: Number(f[1]), tty: Number(f[4]),
      utime: Number(f[11]), stime: Number(f[12]), starttime: Number(f[19]),
      uid: Number(field("Uid")), rssKb: Number(field("VmRSS") ?? 0), vszKb: Number(field("VmSize") ?? 0),
    };
  } catch {
    return undefined; // exited while we looked
  }
}

function userName(uid: number): string {
  try {
    const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.split(":")[2] === String(uid));
    return line?.split(":")[0] ?? String(uid);
  } catch {
    return String(uid);
  }
}

const hms = (ticks: number) => {
  const s = Math.floor(ticks / CLK_TCK);
  return `${String(Math.floor(s / 3600)).padStart(2, "0")}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
};

function bootTime(): number {
  const m = /^btime (\d+)/m.exec(readFileSync("/proc/stat", "utf8"));
  return Number(m?.[1] ?? 0);
}

/** ps -o field names -> [header, value] */
const COLUMNS: Record<string, [string, (p: Proc) => string]> = {
  pid: ["PID", (p) => String(p.pid)],
  ppid: ["PPID", (p) => String(p.ppid)],
  uid: ["UID", (p) => String(p.uid)],
  user: ["USER", (p) => userName(p.uid)],
  comm: ["COMMAND", (p) => p.comm],
  cmd: ["CMD", (p) => p.args],
  args: ["COMMAND", (p) => p.args],
  command: ["COMMAND", (p) => p.args],
  stat: ["STAT", (p) => p.state],
  s: ["S", (p) => p.state],
  time: ["TIME", (p) => hms(p.utime + p.stime)],
  rss: ["RSS", (p) => String(p.rssKb)],
  vsz: ["VSZ", (p) => String(p.vszKb)],
  tty: ["TTY", (p) => (p.tty ? `pts/${p.tty & 0xff}` : "?")],
  stime: ["STIME", (p) => new Date((bootTime() + p.starttime / CLK_TCK) * 1000).toISOString().slice(11, 16)],
  c: ["C", () => "0"],
};

export const DEFAULT_TOP = ["uid", "pid", "ppid", "c", "stime", "tty", "time", "cmd"];

export class TopError extends Error {}

/**
 * The ps options docker passes (`docker top C -o pid,cmd`, `aux`, `-ef`) as
 * the fields to show: -o lists them, the rest add nothing here; anything
 * else is refused.
 */
export function psFields(args: string[]): string[] {
  let fields = DEFAULT_TOP;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-o" || a === "-eo" || a === "--format") fields = (args[++i] ?? "").split(",");
    else if (a.startsWith("-o")) fields = a.slice(2).split(",");
    else if (a === "-e" || a === "-ef" || a === "aux" || a === "-f") continue;
    else throw new TopError(`unsupported ps option "${a}": use -o FIELD,FIELD`);
  }
  return fields.map((f) => f.trim().toLowerCase());
}

export function topProcesses(rec: ContainerRecord, fields: string[]): { titles: string[]; rows: string[][] } {
  for (const f of fields) if (!COLUMNS[f]) throw new TopError(`unknown ps field "${f}": use one of ${Object.keys(COLUMNS).join(", ")}`);
  const procs = cgroupPids(rec.cgroup).map(readProc).filter((p) => p !== undefined).sort((a, b) => a.pid - b.pid);
  const cols = fields.map((f) => COLUMNS[f]!);
  return {
    titles: cols.map(([h]) => (fields.length === DEFAULT_TOP.length && h === "UID" ? "UID" : h)),
    rows: procs.map((p) => cols.map(([, v]) => v(p))),
  };
}
