// Checkpoint and restore times (issue 10): `ctr checkpoint` then `ctr restore`
// of an idle container (sleep) and of one holding 200 MiB of touched memory
// (a small static program that fills it, built here), round after round on
// the same container. CRIU is the one the tests use (tests/fixtures/criu.ts:
// criu 4.2 in a Debian root of its own, bootstrapped once and cached).
//
// runc, pointed at the same CRIU (`runc --criu`), is the peer for the
// checkpoint rows; its restore fails here inside CRIU (mounting its cgroup
// yard: EINVAL), so the restore rows have no peer. Podman drives the host's
// own criu (3.17 here, which cannot run on this kernel) and is not measured.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setupCriu } from "../tests/fixtures/criu.ts";
import { type Ctx, type Row, have, ociBundle, runcRoot, sh, stats, timeOnce, tryRun } from "./lib.ts";

const MIB = 200;
const TOUCH_C = `#include <stdlib.h>
#include <unistd.h>
/* volatile: the compiler may not drop writes it sees no reader for */
int main(void) {
  size_t n = (size_t)${MIB} << 20;
  volatile char *p = malloc(n);
  if (!p) return 1;
  for (size_t i = 0; i < n; i += 4096) p[i] = 1;
  (void)!write(1, "ready\\n", 6);
  for (;;) pause();
}
`;

/** A copy of the bench rootfs with /bin/touchmem, which fills and keeps 200 MiB. */
function memRootfs(ctx: Ctx): string {
  const dir = join(ctx.work, "rootfs-touchmem");
  if (existsSync(join(dir, "bin/touchmem"))) return dir;
  cpSync(ctx.rootfs, dir, { recursive: true, verbatimSymlinks: true });
  const src = join(ctx.work, "touchmem.c");
  writeFileSync(src, TOUCH_C);
  const cc = have("musl-gcc") ? "musl-gcc" : "gcc";
  sh([cc, "-static", "-O2", "-o", join(dir, "bin/touchmem"), src]);
  return dir;
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

async function until(what: string, ok: () => boolean, ms = 60000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

export async function checkpoint(ctx: Ctx): Promise<Row[]> {
  const criu = setupCriu();
  const runs = ctx.quick ? 2 : 10;
  const warmup = ctx.quick ? 0 : 1;
  const kinds = [
    { label: "idle", rootfs: ctx.rootfs, argv: ["sleep", "1000000"], ready: () => true },
    { label: `${MIB} MiB touched`, rootfs: memRootfs(ctx), argv: ["touchmem"], ready: undefined as undefined | (() => boolean) },
  ];
  const rows: Row[] = [];
  for (const k of kinds) {
    const name = `bench-ckpt-${process.pid}`;
    let runcId: string | undefined;
    try {
      sh([ctx.ctr, "run", "-d", "--net", "none", "--name", name, k.rootfs, ...k.argv], ctx.ctrEnv);
      const logged = () => sh([ctx.ctr, "logs", name], ctx.ctrEnv).includes("ready");
      await until(`${name} to be ready`, k.ready ?? logged);
      const rss = rssMiB(JSON.parse(sh([ctx.ctr, "inspect", name], ctx.ctrEnv))[0].State.Pid);
      const ck: number[] = [];
      const rs: number[] = [];
      for (let i = 0; i < warmup + runs; i++) {
        const c = timeOnce([ctx.ctr, "checkpoint", "--criu", criu, name], ctx.ctrEnv);
        const r = timeOnce([ctx.ctr, "restore", "--criu", criu, name], ctx.ctrEnv);
        if (i >= warmup) {
          ck.push(c);
          rs.push(r);
        }
      }
      const ckStats: Row["stats"] = { ctr: stats(ck) };
      if (have("runc")) {
        // runc's container is started anew (not timed) before each of its checkpoints
        const b = ociBundle(ctx, `ckpt-${k.label.replace(/\W+/g, "-")}`, k.argv);
        if (k.rootfs !== ctx.rootfs) cpSync(join(k.rootfs, "bin/touchmem"), join(b, "rootfs/bin/touchmem"));
        runcId = `${name}-runc`;
        const samples: number[] = [];
        for (let i = 0; i < warmup + runs; i++) {
          const img = join(ctx.work, "runc-ckpt");
          rmSync(img, { recursive: true, force: true });
          mkdirSync(img, { recursive: true });
          // stdio on /dev/null: CRIU cannot dump a file of the host's, and runc hands /dev/null over as external
          sh(["sh", "-c", `exec runc --root ${runcRoot(ctx)} run --detach --bundle ${b} ${runcId} </dev/null >/dev/null 2>&1`]);
          const pid = JSON.parse(sh(["runc", "--root", runcRoot(ctx), "state", runcId])).pid as number;
          if (k.ready === undefined) await until("runc's touchmem", () => rssMiB(pid) >= MIB);
          const t = timeOnce(["runc", "--root", runcRoot(ctx), "--criu", criu, "checkpoint", "--image-path", img, "--work-path", join(ctx.work, "runc-work"), runcId]);
          tryRun(["runc", "--root", runcRoot(ctx), "delete", "--force", runcId]);
          if (i >= warmup) samples.push(t);
        }
        ckStats.runc = stats(samples);
      }
      rows.push({ name: `checkpoint, ${k.label}`, unit: "ms", better: "lower", stats: ckStats, data: { initRssMiB: Math.round(rss) } });
      rows.push({ name: `restore, ${k.label}`, unit: "ms", better: "lower", stats: { ctr: stats(rs) } });
    } finally {
      tryRun([ctx.ctr, "rm", "-f", name], ctx.ctrEnv);
      if (runcId) tryRun(["runc", "--root", runcRoot(ctx), "delete", "--force", runcId]);
    }
  }
  return rows;
}
