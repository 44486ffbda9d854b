// bun bench/cgroup.ts [--quick]: what cgroup set-up and removal add to every
// `ctr run` on this host, measured in-process on the real hierarchies (as
// root): createCgroup with no limits and with Docker's common ones, then
// removeCgroup. Issue 4's target: set-up under 1 ms of the run's median.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { createCgroup, removeCgroup } from "../cgroup/cgroup.ts";
import { detectMode, readHierarchies } from "../cgroup/mode.ts";
import type { ResourceSpec } from "../spec/types.ts";

const RUNS = process.argv.includes("--quick") ? 20 : 200;
if (process.getuid?.() !== 0) throw new Error("bench/cgroup.ts needs root: it makes real cgroups");

const hs = readHierarchies();
// the shared parent stays for the whole run, as it does while containers run
const parent = `ctr-bench-${process.pid}`;
const keeper = createCgroup(`${parent}/keeper`, {}, hs);

const CASES: [string, ResourceSpec][] = [
  ["no limits", {}],
  ["memory + cpus + pids", { memory: 64 << 20, cpus: 0.5, pidsLimit: 100 }],
  ["+ cpuset + blkio weight", { memory: 64 << 20, cpus: 0.5, pidsLimit: 100, cpusetCpus: "0", blkioWeight: 300 }],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const results: Record<string, { createMs: number; removeMs: number }> = {};
const t0 = performance.now();
readHierarchies();
const mountinfoMs = performance.now() - t0;
try {
  for (const [label, r] of CASES) {
    const create: number[] = [];
    const remove: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const a = performance.now();
      const ref = createCgroup(`${parent}/c${i}`, r, hs);
      const b = performance.now();
      removeCgroup(ref, hs);
      create.push(b - a);
      remove.push(performance.now() - b);
    }
    results[label] = { createMs: median(create), removeMs: median(remove) };
  }
} finally {
  removeCgroup(keeper, hs);
}

console.log(`cgroup mode ${detectMode(hs)}, ${hs.length} hierarchies, ${RUNS} runs each; reading mountinfo ${mountinfoMs.toFixed(3)} ms`);
console.log("| limits | set-up (median) | removal (median) |\n| --- | --- | --- |");
for (const [label, r] of Object.entries(results)) console.log(`| ${label} | ${r.createMs.toFixed(3)} ms | ${r.removeMs.toFixed(3)} ms |`);

const dir = join(import.meta.dir, "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-cgroup.json`);
writeFileSync(file, `${JSON.stringify({ mode: detectMode(hs), hierarchies: hs.length, cpus: cpus().length, runs: RUNS, results }, null, 2)}\n`);
console.log(`wrote ${file}`);
