// Burst (issue 9 item 4): N containers `run -d sleep` started at once, each
// by its own process, until every one of them is running; containers/second
// for ctr against `runc run -d` (N containers from one bundle). --net none on
// both: runc makes no network. Target: at least 2x runc's rate.
import { type Ctx, type Row, have, interleaveAsync, ociBundle, removeAll, runcRoot, sh } from "./lib.ts";

/** Starts every argv at once; resolves with the wall time until all have exited, throws if one failed. */
async function burst(argvs: string[][], env?: Record<string, string>): Promise<number> {
  const t = performance.now();
  const ps = argvs.map((argv) => Bun.spawn(argv, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "pipe" }));
  const codes = await Promise.all(ps.map((p) => p.exited));
  const ms = performance.now() - t;
  const bad = codes.findIndex((c) => c !== 0);
  if (bad >= 0) throw new Error(`${argvs[bad]!.join(" ")} failed (${codes[bad]}): ${(await new Response(ps[bad]!.stderr).text()).trim()}`);
  return ms;
}

export async function burstBench(ctx: Ctx): Promise<Row[]> {
  const n = ctx.quick ? 10 : 50;
  const rounds = ctx.quick ? 1 : 3;
  let round = 0;
  const live = { ctr: [] as string[], runc: [] as string[] };
  const rmCtr = (ids: string[]) => [ctx.ctr, "rm", "-f", ...ids];
  const rmRunc = (ids: string[]) => ["sh", "-c", ids.map((id) => `runc --root ${runcRoot(ctx)} delete --force ${id}`).join("; ")];
  try {
    const c: Record<string, () => Promise<number>> = {
      ctr: async () => {
        const ids = Array.from({ length: n }, (_, i) => `burst-${process.pid}-${round}-${i}`);
        round++;
        live.ctr = ids;
        const ms = await burst(ids.map((id) => [ctx.ctr, "run", "-d", "--net", "none", "--name", id, ctx.rootfs, "sleep", "1000"]), ctx.ctrEnv);
        const running = sh([ctx.ctr, "ps", "-q"], ctx.ctrEnv).trim().split("\n").filter(Boolean).length;
        if (running < n) throw new Error(`burst: ${running} of ${n} ctr containers running`);
        await removeAll(rmCtr, ids, ctx.ctrEnv);
        live.ctr = [];
        return (n * 1000) / ms;
      },
    };
    if (have("runc")) {
      const b = ociBundle(ctx, "sleep", ["sleep", "1000"]);
      c.runc = async () => {
        const ids = Array.from({ length: n }, (_, i) => `burst-${process.pid}-${round}-${i}`);
        round++;
        live.runc = ids;
        const ms = await burst(ids.map((id) => ["runc", "--root", runcRoot(ctx), "run", "-d", "--bundle", b, id]));
        const running = sh(["runc", "--root", runcRoot(ctx), "list", "-q"]).trim().split("\n").filter(Boolean).length;
        if (running < n) throw new Error(`burst: ${running} of ${n} runc containers running`);
        await removeAll(rmRunc, ids);
        live.runc = [];
        return (n * 1000) / ms;
      };
    }
    const stats = await interleaveAsync(c, rounds, ctx.quick ? 0 : 1);
    return [{ name: `burst: ${n} x run -d sleep, in parallel`, unit: "containers/s", better: "higher", stats, data: { containers: n, rounds } }];
  } finally {
    if (live.ctr.length) await removeAll(rmCtr, live.ctr, ctx.ctrEnv);
    if (live.runc.length) await removeAll(rmRunc, live.runc);
  }
}
