// Shared by the benchmarks under bench/: timing, statistics, interleaving,
// runc bundles, the result rows the runner prints. Each benchmark file exports
// one function (ctx) => Row[]; bench/run.ts runs them in order.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Stats { median: number; p10: number; p90: number; runs: number }

/** One line of the table: ctr against each peer on the same work, in one unit. */
export interface Row {
  name: string;
  /** "ms" rows are latencies (lower is better); others say which way is better */
  unit: "ms" | "containers/s" | "MiB/s" | "MiB/container";
  better: "lower" | "higher";
  /** "ctr" and each peer; a peer missing here was not measured */
  stats: Record<string, Stats>;
  /** how ctr is compared with the peers: ratio ctr/peer (default) or difference ctr - peer in the unit */
  compare?: "ratio" | "diff";
  /** anything else the benchmark measured, kept in the JSON */
  data?: Record<string, unknown>;
}

export interface Ctx {
  quick: boolean;
  runs: number;
  warmup: number;
  ctr: string;
  work: string;
  rootfs: string;
  /** CTR_ROOT and CTR_CONFIG of this run: its own state and its own default bridge */
  ctrEnv: Record<string, string>;
  /** the default bridge the bench's ctr config names; removed at the end */
  bridge: string;
  /** lines printed under the table: peers refused, benchmarks skipped */
  notes: string[];
}

export const have = (b: string) => Bun.which(b) !== null;

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), runs: s.length };
}

/** Runs argv to the end; throws with its stderr when it fails. */
export function sh(argv: string[], env?: Record<string, string>): string {
  const p = Bun.spawnSync(argv, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (${p.exitCode}): ${p.stderr.toString().trim()}`);
  return p.stdout.toString();
}

/** Runs argv, ignoring failure (clean-up). */
export function tryRun(argv: string[], env?: Record<string, string>): void {
  Bun.spawnSync(argv, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "ignore" });
}

export function timeOnce(argv: string[], env?: Record<string, string>): number {
  const t = performance.now();
  const p = Bun.spawnSync(argv, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "pipe" });
  const ms = performance.now() - t;
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (${p.exitCode}): ${p.stderr.toString().trim()}`);
  return ms;
}

/** Runs every contender once per round, in turn (ABAB), after a warm-up. */
export function interleave(contenders: Record<string, () => number>, runs: number, warmup: number): Record<string, Stats> {
  const names = Object.keys(contenders);
  for (let i = 0; i < warmup; i++) for (const n of names) contenders[n]!();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < runs; i++) for (const n of names) samples[n]!.push(contenders[n]!());
  return Object.fromEntries(names.map((n) => [n, stats(samples[n]!)]));
}

/** Async variant, for contenders that start many processes at once. */
export async function interleaveAsync(contenders: Record<string, () => Promise<number>>, runs: number, warmup: number): Promise<Record<string, Stats>> {
  const names = Object.keys(contenders);
  for (let i = 0; i < warmup; i++) for (const n of names) await contenders[n]!();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < runs; i++) for (const n of names) samples[n]!.push(await contenders[n]!());
  return Object.fromEntries(names.map((n) => [n, stats(samples[n]!)]));
}

/**
 * An OCI bundle with the same isolation ctr gives: every namespace but user,
 * the busybox rootfs (copied once per bundle name; config.json rewritten).
 */
export function ociBundle(ctx: Ctx, name: string, args: string[]): string {
  const dir = join(ctx.work, `bundle-${name}`);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, "rootfs"))) cpSync(ctx.rootfs, join(dir, "rootfs"), { recursive: true, verbatimSymlinks: true });
  if (!existsSync(join(dir, "config.json"))) sh(["runc", "spec", "--bundle", dir]);
  const c = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  c.process.terminal = false;
  c.process.args = args;
  c.root.readonly = false;
  c.linux.namespaces = ["pid", "network", "ipc", "uts", "mount", "cgroup"].map((type) => ({ type }));
  writeFileSync(join(dir, "config.json"), JSON.stringify(c));
  return dir;
}

export const runcRoot = (ctx: Ctx) => join(ctx.work, "runc");

/** Clean-up in parallel batches of one process per few ids, so a round's removal stays short. */
export async function removeAll(argv: (ids: string[]) => string[], ids: string[], env?: Record<string, string>): Promise<void> {
  const per = Math.ceil(ids.length / 4);
  const chunks = Array.from({ length: Math.ceil(ids.length / per) }, (_, i) => ids.slice(i * per, (i + 1) * per));
  await Promise.all(chunks.map((c) => Bun.spawn(argv(c), { env: { ...process.env, ...env }, stdout: "ignore", stderr: "ignore" }).exited));
}

let podmanArgv: string[] | null | undefined;
/**
 * podman with its own storage under the bench's work dir, cgroupfs (no
 * systemd here) and runc (crun refuses this hybrid host), or null when it is
 * missing or cannot run a container here (said in the notes). Containers get
 * --rootfs on a copy of the busybox rootfs: the same directory rootfs as ctr.
 */
export function podman(ctx: Ctx, probe = true): string[] | null {
  if (podmanArgv !== undefined || !probe) return podmanArgv ?? null;
  podmanArgv = null;
  if (!have("podman") || !have("conmon")) return null;
  const argv = ["podman", "--root", join(ctx.work, "podman/root"), "--runroot", join(ctx.work, "podman/run"), "--cgroup-manager", "cgroupfs", "--runtime", "runc", "--events-backend", "none"];
  const p = Bun.spawnSync([...argv, "run", "--rm", ...podmanRunArgs(ctx), "true"], { stdout: "ignore", stderr: "pipe" });
  if (p.exitCode !== 0) ctx.notes.push(`podman: cannot run a container here (${p.stderr.toString().trim().split("\n").at(-1)})`);
  else podmanArgv = argv;
  return podmanArgv;
}

/**
 * `podman run` flags for the same work as `ctr run --net none ROOTFS`. The
 * ulimits are lowered explicitly: podman raises RLIMIT_NPROC by default,
 * which needs CAP_SYS_RESOURCE, and this host's bounding set lacks it.
 */
export function podmanRunArgs(ctx: Ctx): string[] {
  const dir = join(ctx.work, "podman-rootfs");
  if (!existsSync(dir)) cpSync(ctx.rootfs, dir, { recursive: true, verbatimSymlinks: true });
  return ["--net", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096", "--rootfs", dir];
}
