// bun run bench [--quick] [NAME...]: ctr side by side with its peers on this
// machine, in one run, interleaved (ctr, peer, ctr, peer...) so drift hits
// both alike. One file per benchmark under bench/; this is the runner. Prints
// markdown tables (latencies; rates, throughput and memory in their own units)
// and writes every number to JSON in bench/results/. Installs nothing: missing
// peers are named with their Debian package. NAME... runs only those.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { DEFAULT_PARENT, removeDefaultParents } from "../cgroup/cgroup.ts";
import { detectMode, readHierarchies } from "../cgroup/mode.ts";
import { buildRootfs } from "../tests/fixtures/rootfs.ts";
import { api } from "./api.ts";
import { burstBench } from "./burst.ts";
import { checkpoint } from "./checkpoint.ts";
import { density } from "./density.ts";
import { exec } from "./exec.ts";
import { images } from "./images.ts";
import { network } from "./network.ts";
import { libpodCgroupsExist, removeLibpodCgroups } from "../tests/fixtures/libpod.ts";
import { removeNewEmptyDirs } from "../tests/fixtures/tidy.ts";
import { type Ctx, type Row, type Stats, have, podman, tryRun } from "./lib.ts";
import { start } from "./start.ts";

// podman leaves libpod_parent cgroups: removed at the end if this run made them
const hadLibpod = libpodCgroupsExist();
// podman runs its containers with runc here, whose default root appears by itself
const tidyRoots = removeNewEmptyDirs(["/run/runc"]);
// ctr keeps its default cgroup parent between containers: removed at the end if this run made it
const madeParents = readHierarchies().filter((h) => !existsSync(join(h.mount, DEFAULT_PARENT)));

const BENCHES: Record<string, (ctx: Ctx) => Row[] | Promise<Row[]>> = { start, exec, burst: burstBench, density, network, images, checkpoint, api };

const quick = process.argv.includes("--quick");
const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
for (const n of only) if (!BENCHES[n]) throw new Error(`unknown benchmark ${n}: one of ${Object.keys(BENCHES).join(", ")}`);
const CTR = join(import.meta.dir, "../dist/ctr");

const PEERS: Record<string, string> = { runc: "runc", crun: "crun", podman: "podman", docker: "docker.io", hyperfine: "hyperfine", iperf3: "iperf3" };
const missing = Object.entries(PEERS).filter(([b]) => !have(b));
if (missing.length) console.log(`missing peers (apt-get install ${missing.map(([, p]) => p).join(" ")}): ${missing.map(([b]) => b).join(", ")}`);
if (!existsSync(CTR)) throw new Error("dist/ctr is missing: bun run build");
if (process.getuid?.() !== 0) throw new Error("bench/run.ts needs root: it starts real containers");

const work = mkdtempSync("/tmp/ctr-bench-");
// its own state root and its own default bridge, so nothing here touches ctr0
const bridge = `ctrb${process.pid % 100000}`;
writeFileSync(join(work, "ctr.toml"), `[network]\nbridge = "${bridge}"\nsubnet = "10.219.0.0/16"\npool = "10.220.0.0/16"\n`);
const ctx: Ctx = {
  quick,
  runs: quick ? 3 : 30,
  warmup: quick ? 1 : 5,
  ctr: CTR,
  work,
  rootfs: buildRootfs(join(work, "rootfs")),
  ctrEnv: { CTR_ROOT: join(work, "state"), CTR_CONFIG: join(work, "ctr.toml") },
  bridge,
  notes: [],
};

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadBefore = loadavg();
const results: (Row & { seconds: number })[] = [];
const failed: string[] = [];
const t0 = performance.now();
try {
  for (const [name, bench] of Object.entries(BENCHES)) {
    if (only.length && !only.includes(name)) continue;
    const t = performance.now();
    try {
      const rows = await bench(ctx);
      const seconds = (performance.now() - t) / 1000;
      for (const r of rows) results.push({ ...r, seconds });
      console.log(`${name}: ${seconds.toFixed(1)} s`);
    } catch (e) {
      // the others still run (each cleans up after itself); the run fails at the end
      failed.push(`${name}: ${(e as Error).message}`);
      console.error(`${name} FAILED: ${(e as Error).message}`);
    }
  }
} finally {
  // containers are removed by each benchmark; what is left is the state and the bridge
  tryRun([CTR, "rm", "-f", ...Bun.spawnSync([CTR, "ps", "-aq"], { env: { ...process.env, ...ctx.ctrEnv } }).stdout.toString().split("\n").filter(Boolean)], ctx.ctrEnv);
  tryRun(["ip", "link", "del", bridge]);
  const pm = podman(ctx, false);
  if (pm) tryRun([...pm, "rm", "-af", "-t", "0"]);
  if (pm && !hadLibpod) removeLibpodCgroups();
  tidyRoots();
  removeDefaultParents(madeParents);
  // podman's overlay driver mounts its own home, again whenever conmon's
  // `podman container cleanup` runs after a container exits: unmount what is
  // under work until it can be removed
  for (let i = 0; ; i++) {
    const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter((m) => m.startsWith(`${work}/`));
    for (const m of mounts.sort((a, b) => b.length - a.length)) tryRun(["umount", "-l", m]);
    try {
      rmSync(work, { recursive: true, force: true });
      break;
    } catch (e) {
      if (i >= 20) {
        console.error(`bench: could not remove ${work}: ${(e as Error).message}`);
        break;
      }
      Bun.sleepSync(250);
    }
  }
}

const f1 = (x: number) => x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2);
const cell = (s: Stats) => `${f1(s.median)} (${f1(s.p10)}-${f1(s.p90)})`;
const compare = (r: Row, c: Stats, p: Stats) =>
  r.compare === "diff" ? `${c.median - p.median >= 0 ? "+" : ""}${(c.median - p.median).toFixed(1)} ${r.unit}` : `${(c.median / p.median).toFixed(2)}x`;
function table(rows: Row[], withUnit: boolean): string[] {
  const head = `| benchmark |${withUnit ? " unit |" : ""} runs | ctr | peer | peer result | ctr vs peer |`;
  const lines = [head, head.replace(/[^|]+/g, " --- ")];
  for (const r of rows) {
    const c = r.stats.ctr!;
    const peers = Object.keys(r.stats).filter((n) => n !== "ctr");
    const unit = `${r.unit} (${r.better} is better)`;
    for (const [i, p] of (peers.length ? peers : ["-"]).entries()) {
      const ps = r.stats[p];
      const cells = [i ? "" : r.name, ...(withUnit ? [i ? "" : unit] : []), i ? "" : String(c.runs), i ? "" : cell(c), p, ps ? cell(ps) : "-", ps ? compare(r, c, ps) : "-"];
      lines.push(`| ${cells.join(" | ")} |`);
    }
  }
  return lines;
}
const latency = results.filter((r) => r.unit === "ms");
const other = results.filter((r) => r.unit !== "ms");
console.log(`\nctr and its peers interleaved, warm-up first; median (p10-p90) over runs (rounds, or containers for density)\n`);
if (latency.length) console.log(`Latency, ms (lower is better):\n\n${table(latency, false).join("\n")}\n`);
if (other.length) console.log(`Rate, throughput, memory:\n\n${table(other, true).join("\n")}\n`);
for (const n of ctx.notes) console.log(`- ${n}`);
console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s; load average ${loadBefore} before, ${loadavg()} after (other work on the host skews every figure)`);

const machine = {
  kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  cgroupMode: detectMode(),
  loadavgBefore: loadBefore,
  loadavgAfter: loadavg(),
};
mkdirSync(join(import.meta.dir, "results"), { recursive: true });
const out = join(import.meta.dir, "results", `${new Date().toISOString().replace(/[:.]/g, "-")}${quick ? "-quick" : ""}.json`);
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), quick, runs: ctx.runs, warmup: ctx.warmup, machine, results, notes: ctx.notes, failed }, null, 2));
console.log(`written: ${out}`);
if (failed.length) {
  console.error(`\n${failed.length} benchmark(s) failed:\n${failed.map((f) => `  ${f}`).join("\n")}`);
  process.exit(1);
}
