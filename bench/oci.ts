// bun bench/oci.ts [--quick]: the OCI life cycle as containerd and Podman
// drive it, ctr (`ctr oci`) against runc on the same bundle, interleaved:
// create, start, delete each timed on its own (the container runs `true`; the
// delete comes once it has stopped). Issue 8's target: ctr at most half of
// runc's median.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildRootfs } from "../tests/fixtures/rootfs.ts";
import { interleave, sh } from "./lib.ts";

const RUNS = process.argv.includes("--quick") ? 10 : 40;
if (process.getuid?.() !== 0) throw new Error("bench/oci.ts needs root: it runs containers");
const CTR = join(import.meta.dir, "../dist/ctr");
const work = `/tmp/ctr-bench-oci-${process.pid}`;
mkdirSync(work, { recursive: true });
const rootfs = buildRootfs(join(process.env.TMPDIR ?? "/tmp", "ctr-test-rootfs"));
const bundle = join(work, "bundle");
mkdirSync(bundle, { recursive: true });
sh(["runc", "spec", "--bundle", bundle]);
const c = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
Object.assign(c.process, { terminal: false, args: ["true"] });
c.root = { path: rootfs, readonly: true };
writeFileSync(join(bundle, "config.json"), JSON.stringify(c));

const runtimes: Record<string, string[]> = {
  runc: ["runc", "--root", join(work, "runc")],
  ctr: [CTR, "oci", "--root", join(work, "ctr")],
};
// the container's init inherits the runtime's stdio, as it does under conmon or the shim: files, not pipes to wait on
const timeOnce = (argv: string[]) => {
  const t = performance.now();
  const p = Bun.spawnSync(argv, { stdin: "ignore", stdout: Bun.file(join(work, "out")), stderr: Bun.file(join(work, "err")) });
  const ms = performance.now() - t;
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (${p.exitCode}): ${readFileSync(join(work, "err"), "utf8").trim()}`);
  return ms;
};
const stopped = (rt: string[], id: string) => {
  for (let i = 0; i < 500 && !sh([...rt, "state", id]).includes('"stopped"'); i++) Bun.sleepSync(2);
};

let n = 0;
const phases: Record<string, Record<string, number[]>> = { create: {}, start: {}, delete: {} };
const contenders = Object.fromEntries(
  Object.entries(runtimes).map(([name, rt]) => [
    name,
    () => {
      const id = `b${++n}`;
      const cr = timeOnce([...rt, "create", "--bundle", bundle, id]);
      const st = timeOnce([...rt, "start", id]);
      stopped(rt, id);
      const de = timeOnce([...rt, "delete", id]);
      for (const [p, ms] of [["create", cr], ["start", st], ["delete", de]] as const) (phases[p]![name] ??= []).push(ms);
      return cr + st + de;
    },
  ]),
);
try {
  const total = interleave(contenders, RUNS, 3);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const rows = ["| phase | runc ms | ctr ms | ctr/runc |", "| --- | --- | --- | --- |"];
  for (const p of ["create", "start", "delete"]) {
    // the warm-up rounds are in the samples too: drop them
    const [r, k] = ["runc", "ctr"].map((x) => median(phases[p]![x]!.slice(3)));
    rows.push(`| ${p} | ${r!.toFixed(1)} | ${k!.toFixed(1)} | ${(k! / r!).toFixed(2)}x |`);
  }
  rows.push(`| create+start+delete | ${total.runc!.median.toFixed(1)} | ${total.ctr!.median.toFixed(1)} | ${(total.ctr!.median / total.runc!.median).toFixed(2)}x |`);
  console.log(`OCI life cycle, ${RUNS} runs each, interleaved\n\n${rows.join("\n")}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
