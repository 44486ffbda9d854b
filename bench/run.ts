// bun run bench [--quick]: ctr side by side with its peers on this machine, in
// one run, interleaved (ctr, peer, ctr, peer...) so drift hits both alike.
// Prints a markdown table of medians and ratios; writes JSON to bench/results/.
// Installs nothing: missing peers are named with their Debian package.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { detectMode } from "../cgroup/mode.ts";
import { buildRootfs } from "../tests/fixtures/rootfs.ts";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 3 : 30;
const WARMUP = quick ? 1 : 5;
const CTR = join(import.meta.dir, "../dist/ctr");

const PEERS: Record<string, string> = { runc: "runc", crun: "crun", podman: "podman", docker: "docker.io", hyperfine: "hyperfine", iperf3: "iperf3" };
const have = (b: string) => Bun.which(b) !== null;
const missing = Object.entries(PEERS).filter(([b]) => !have(b));
if (missing.length) console.log(`missing peers (apt-get install ${missing.map(([, p]) => p).join(" ")}): ${missing.map(([b]) => b).join(", ")}`);
if (!existsSync(CTR)) throw new Error("dist/ctr is missing: bun run build");

const work = mkdtempSync("/tmp/ctr-bench-");
const ctrRoot = join(work, "state");
const rootfs = buildRootfs(join(work, "rootfs"));

function timeOnce(argv: string[], env?: Record<string, string>): number {
  const t = performance.now();
  const p = Bun.spawnSync(argv, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "pipe" });
  const ms = performance.now() - t;
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (${p.exitCode}): ${p.stderr.toString().trim()}`);
  return ms;
}

interface Stats { median: number; p10: number; p90: number; runs: number }
function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), runs: s.length };
}

/** Runs every contender once per round, in turn, after a warm-up. */
function interleave(contenders: Record<string, () => number>): Record<string, Stats> {
  const names = Object.keys(contenders);
  for (let i = 0; i < WARMUP; i++) for (const n of names) contenders[n]!();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < RUNS; i++) for (const n of names) samples[n]!.push(contenders[n]!());
  return Object.fromEntries(names.map((n) => [n, stats(samples[n]!)]));
}

/** An OCI bundle with the same isolation ctr gives: every namespace but user, the busybox rootfs. */
function runcBundle(args: string[]): string {
  const dir = join(work, `bundle-${args[0]}`);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, "rootfs"))) cpSync(rootfs, join(dir, "rootfs"), { recursive: true, verbatimSymlinks: true });
  Bun.spawnSync(["runc", "spec"], { cwd: dir });
  const c = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  c.process.terminal = false;
  c.process.args = args;
  c.root.readonly = false;
  c.linux.namespaces = ["pid", "network", "ipc", "uts", "mount", "cgroup"].map((type) => ({ type }));
  writeFileSync(join(dir, "config.json"), JSON.stringify(c));
  return dir;
}

const results: { name: string; stats: Record<string, Stats> }[] = [];
const ctrEnv = { CTR_ROOT: ctrRoot };
let seq = 0;

try {
  // 1. start latency: a container that does nothing, no network
  {
    const c: Record<string, () => number> = {
      ctr: () => timeOnce([CTR, "run", "--rm", "--net", "none", rootfs, "true"], ctrEnv),
    };
    if (have("runc")) {
      const b = runcBundle(["true"]);
      c.runc = () => timeOnce(["runc", "--root", join(work, "runc"), "run", "--bundle", b, `bench${seq++}`]);
    }
    results.push({ name: "run --rm --net none true", stats: interleave(c) });
  }
  // 3. exec into a running container
  {
    const name = `bench-exec-${process.pid}`;
    Bun.spawnSync([CTR, "run", "-d", "--net", "none", "--name", name, rootfs, "sleep", "100000"], { env: { ...process.env, ...ctrEnv } });
    const c: Record<string, () => number> = { ctr: () => timeOnce([CTR, "exec", name, "true"], ctrEnv) };
    let runcId: string | undefined;
    if (have("runc")) {
      const b = runcBundle(["sleep", "100000"]);
      runcId = `bench-exec-${process.pid}`;
      Bun.spawnSync(["runc", "--root", join(work, "runc"), "run", "--detach", "--bundle", b, runcId], { stdio: ["ignore", "ignore", "ignore"] });
      c.runc = () => timeOnce(["runc", "--root", join(work, "runc"), "exec", runcId!, "true"]);
    }
    try {
      results.push({ name: "exec true", stats: interleave(c) });
    } finally {
      Bun.spawnSync([CTR, "rm", "-f", name], { env: { ...process.env, ...ctrEnv } });
      if (runcId) Bun.spawnSync(["runc", "--root", join(work, "runc"), "delete", "--force", runcId]);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const peers = [...new Set(results.flatMap((r) => Object.keys(r.stats)).filter((n) => n !== "ctr"))];
const fmt = (s?: Stats) => (s ? `${s.median.toFixed(1)} ms (p10 ${s.p10.toFixed(1)}, p90 ${s.p90.toFixed(1)})` : "-");
const lines = [
  `| benchmark | ctr | ${peers.join(" | ")} | ${peers.map((p) => `ctr/${p}`).join(" | ")} |`,
  `| --- | --- | ${peers.map(() => "---").join(" | ")} | ${peers.map(() => "---").join(" | ")} |`,
  ...results.map((r) => {
    const c = r.stats.ctr!;
    return `| ${r.name} | ${fmt(c)} | ${peers.map((p) => fmt(r.stats[p])).join(" | ")} | ${peers.map((p) => (r.stats[p] ? `${(c.median / r.stats[p]!.median).toFixed(2)}x` : "-")).join(" | ")} |`;
  }),
];
console.log(`\n${RUNS} runs each after ${WARMUP} warm-up, interleaved\n`);
console.log(lines.join("\n"));

const machine = {
  kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  cgroupMode: detectMode(),
};
mkdirSync(join(import.meta.dir, "results"), { recursive: true });
const out = join(import.meta.dir, "results", `${new Date().toISOString().replace(/[:.]/g, "-")}${quick ? "-quick" : ""}.json`);
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), quick, machine, results }, null, 2));
console.log(`\nwritten: ${out}`);
