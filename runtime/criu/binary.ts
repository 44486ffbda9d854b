// Which CRIU ctr drives, and whether it is new enough. Found, in order, at
// --criu PATH, at [criu] path in the host's ctr.toml ($CTR_CONFIG or
// /etc/ctr/ctr.toml), or as `criu` on PATH. It may be a wrapper script (for
// example scripts/criu-in-root.sh, which runs a newer criu from another root)
// as long as it takes criu's arguments and execs criu in the same process.
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "smol-toml";
import { EngineError } from "../errors.ts";
import { stateRoot } from "../state/paths.ts";
import { writeJsonAtomic } from "../state/record.ts";

/** 3.x cannot read the vDSO of 6.x kernels (Debian 12's 3.17 fails `criu check` there). */
export const CRIU_MIN: [number, number] = [4, 0];

export interface Criu {
  path: string;
  version: string;
}

function configuredPath(file = process.env.CTR_CONFIG || "/etc/ctr/ctr.toml"): string | undefined {
  if (!existsSync(file)) return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new EngineError(`${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  const c = doc.criu as Record<string, unknown> | undefined;
  if (c?.path === undefined) return undefined;
  if (typeof c.path !== "string") throw new EngineError(`${file}: criu.path must be a string`);
  return c.path;
}

/** The CRIU to use, checked: missing or too old is a one-line error saying what is needed. */
export function findCriu(flag?: string): Criu {
  const given = flag ?? configuredPath();
  const path = given ?? Bun.which("criu", { PATH: `${process.env.PATH ?? ""}:/usr/local/sbin:/usr/sbin:/sbin` }) ?? undefined;
  const need = `CRIU ${CRIU_MIN.join(".")} or newer`;
  if (!path) throw new EngineError(`checkpoint/restore needs ${need}: criu is not on PATH (install it, or give --criu PATH or [criu] path in ctr.toml)`);
  if (!existsSync(path)) throw new EngineError(`checkpoint/restore needs ${need}: ${path}: no such file`);
  const st = statSync(path);
  const key = { path, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, size: st.size };
  const cache = join(stateRoot(), "cache", "criu.json");
  const known = readCache(cache);
  const hit = known !== undefined && JSON.stringify(known.key) === JSON.stringify(key);
  const version = hit ? known.version : askVersion(path, need);
  if (!hit) writeCache(cache, { key, version });
  const [maj, min] = version.split(".").map(Number) as [number, number];
  if (maj < CRIU_MIN[0] || (maj === CRIU_MIN[0] && min < CRIU_MIN[1])) {
    throw new EngineError(`checkpoint/restore needs ${need}; ${path} is ${version} (3.x cannot read the vDSO of 6.x kernels)`);
  }
  return { path, version };
}

// `criu --version` costs a process start (through a wrapper that pivots into
// another root, over a second on a loaded machine): its answer is kept per
// binary (path, size, mtime, ctime) in the state root's cache
interface VersionCache {
  key: { path: string; mtimeMs: number; ctimeMs: number; size: number };
  version: string;
}

function readCache(file: string): VersionCache | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as VersionCache;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, c: VersionCache): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeJsonAtomic(file, c);
  } catch {
    // only a cache: the next run asks again
  }
}

function askVersion(path: string, need: string): string {
  let text = "";
  try {
    const p = Bun.spawnSync([path, "--version"], { stdout: "pipe", stderr: "pipe", env: criuEnv() });
    text = p.stdout.toString() + p.stderr.toString();
    if (p.exitCode !== 0) throw new Error(text.trim().split("\n").pop() ?? `exit ${p.exitCode}`);
  } catch (e) {
    throw new EngineError(`checkpoint/restore needs ${need}: ${path} --version failed: ${(e as Error).message}`);
  }
  const m = /Version:\s*(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) throw new EngineError(`checkpoint/restore needs ${need}: ${path} --version printed no version (${text.trim().split("\n")[0]})`);
  return `${m[1]}.${m[2]}${m[3] ? `.${m[3]}` : ""}`;
}

/** CRIU runs iptables, ip and its own helpers by name. */
export function criuEnv(): Record<string, string> {
  return { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
}

/** The lines of a CRIU log that say what went wrong (its "Error (file:line): ..." lines). */
export function criuErrors(log: string): string[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => /Error \(/.test(l) && !/RLIMIT_NOFILE/.test(l))
    .map((l) => l.replace(/^\([\d.]+\)\s*/, "").replace(/^Error \([^)]*\):\s*/, ""));
}

/** What a CRIU error line means, where it is a known limit rather than a bug. */
export function explainCriu(line: string): string {
  if (/Can't get 1:(16|34) opt/.test(line)) {
    return `${line} (the container holds an inet socket: CRIU before 4.2 cannot dump one on kernels from 6.16 on; use CRIU 4.2 or newer)`;
  }
  return line;
}
