// Density (issue 9 item 5): N idle containers (`run -d --net none sleep`);
// host memory per container = the monitor's resident memory (VmRSS of
// .Ctr.MonitorPid) + what the kernel charges to the container's memory cgroup
// (memory.usage_in_bytes on v1, memory.current on v2). Also, host-wide and
// divided by N: the growth of the kernel's unreclaimable memory and the drop
// of MemAvailable, which catch what no cgroup is charged for (namespaces,
// mounts, page tables) but move with whatever else the host does, so they are
// a note, not a row.
// Target: at most 1.5 MiB. The peer is Podman's conmon, where podman runs.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Ctx, type Row, have, removeAll, sh, stats } from "./lib.ts";

/** MemAvailable, and the kernel's unreclaimable memory: SUnreclaim + KernelStack + PageTables + Shmem (bytes). */
function meminfo(): { available: number; kernel: number } {
  const m = readFileSync("/proc/meminfo", "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(m)?.[1] ?? 0) * 1024;
  return { available: kb("MemAvailable"), kernel: kb("SUnreclaim") + kb("KernelStack") + kb("PageTables") + kb("Shmem") };
}
const MiB = 1024 * 1024;

function cgroupBytes(paths: string[]): number {
  for (const p of paths) {
    if (existsSync(join(p, "memory.usage_in_bytes"))) return Number(readFileSync(join(p, "memory.usage_in_bytes"), "utf8"));
    if (existsSync(join(p, "memory.current"))) return Number(readFileSync(join(p, "memory.current"), "utf8"));
  }
  return 0;
}

export async function density(ctx: Ctx): Promise<Row[]> {
  const n = ctx.quick ? 20 : 200;
  const names = Array.from({ length: n }, (_, i) => `density-${process.pid}-${i}`);
  if (!have("podman") || !have("conmon")) ctx.notes.push("density: Podman's conmon is not installed here (apt-get install podman), so ctr's figure stands alone");
  try {
    const before = meminfo();
    // started a few at a time: this measures memory, not start-up
    for (let i = 0; i < n; i += 4) {
      await Promise.all(names.slice(i, i + 4).map(async (name) => {
        const p = Bun.spawn([ctx.ctr, "run", "-d", "--net", "none", "--name", name, ctx.rootfs, "sleep", "100000"], { env: { ...process.env, ...ctx.ctrEnv }, stdout: "ignore", stderr: "pipe" });
        if ((await p.exited) !== 0) throw new Error(`ctr run ${name} failed: ${(await new Response(p.stderr).text()).trim()}`);
      }));
    }
    await Bun.sleep(1000);
    const after = meminfo();
    const info = JSON.parse(sh([ctx.ctr, "inspect", ...names], ctx.ctrEnv)) as { State: { Running: boolean }; Ctr: { MonitorPid: number; CgroupPaths: string[] } }[];
    const monitor: number[] = [];
    const cgroup: number[] = [];
    const total: number[] = [];
    for (const c of info) {
      if (!c.State.Running) throw new Error("density: a container stopped while idle");
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${c.Ctr.MonitorPid}/status`, "utf8"))?.[1] ?? 0) * 1024;
      const cg = cgroupBytes(c.Ctr.CgroupPaths);
      monitor.push(rss / MiB);
      cgroup.push(cg / MiB);
      total.push((rss + cg) / MiB);
    }
    const availPer = (before.available - after.available) / n / MiB;
    const kernelPer = (after.kernel - before.kernel) / n / MiB;
    ctx.notes.push(`density: host-wide meanwhile, per container: unreclaimable kernel memory (SUnreclaim+KernelStack+PageTables+Shmem) +${kernelPer.toFixed(2)} MiB, MemAvailable -${availPer.toFixed(2)} MiB (whole host: other work moves both)`);
    return [
      { name: `density: ${n} idle containers, monitor RSS + memory cgroup (medians ${stats(monitor).median.toFixed(2)} + ${stats(cgroup).median.toFixed(2)})`, unit: "MiB/container", better: "lower", stats: { ctr: stats(total) }, data: { containers: n, monitorRssMiB: stats(monitor), cgroupMiB: stats(cgroup), meminfoBefore: before, meminfoAfter: after, kernelPerContainerMiB: kernelPer, memAvailableDropPerContainerMiB: availPer } },
    ];
  } finally {
    await removeAll((ids) => [ctx.ctr, "rm", "-f", ...ids], names, ctx.ctrEnv);
  }
}
