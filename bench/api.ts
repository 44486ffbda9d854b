// The daemon (issue 7): one container's round trip create+start+wait+rm
// through `ctr daemon`'s API (fetch on its unix socket), against ctr's local
// CLI doing the same (ctr create, start, wait, rm: four processes), and
// against `ctr run --rm` (one process) and the docker CLI driving ctr daemon
// (`docker run --rm`) where installed. Docker's own dockerd is not run here:
// it would take over the host's firewall and cgroups.
import { join } from "node:path";
import { type Ctx, type Row, have, interleaveAsync, sh, tryRun } from "./lib.ts";

export async function api(ctx: Ctx): Promise<Row[]> {
  const { writeTar } = await import("../image/tar.ts");
  const { rootfsEntries } = await import("../tests/fixtures/image.ts");
  const tar = join(ctx.work, "api-busybox.tar");
  await Bun.write(tar, writeTar(rootfsEntries(ctx.rootfs, ["data", "host"])));
  sh([ctx.ctr, "import", tar, "busybox"], ctx.ctrEnv);
  const sock = join(ctx.work, "api.sock");
  const daemon = Bun.spawn([ctx.ctr, "daemon", "-H", `unix://${sock}`], { env: { ...process.env, ...ctx.ctrEnv }, stdout: "ignore", stderr: "ignore" });
  try {
    for (let i = 0; ; i++) {
      if ((await fetch("http://ctr/_ping", { unix: sock }).catch(() => undefined))?.ok) break;
      if (i > 500) throw new Error("ctr daemon did not answer");
      await Bun.sleep(10);
    }
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`http://ctr/v1.45${path}`, { unix: sock, method, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await r.text();
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
      return text;
    };
    const timed = async (f: () => Promise<unknown>) => {
      const t = performance.now();
      await f();
      return performance.now() - t;
    };
    const spawn = async (argv: string[], env: Record<string, string> = ctx.ctrEnv) => {
      const p = Bun.spawn(argv, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
      const [out, code] = [await new Response(p.stdout).text(), await p.exited];
      if (code !== 0) throw new Error(`${argv.join(" ")}: exit ${code}: ${await new Response(p.stderr).text()}`);
      return out.trim();
    };
    const c: Record<string, () => Promise<number>> = {
      ctr: () =>
        timed(async () => {
          const { Id } = JSON.parse(await call("POST", "/containers/create", { Image: "busybox", Cmd: ["true"], HostConfig: { NetworkMode: "none" } }));
          await call("POST", `/containers/${Id}/start`);
          await call("POST", `/containers/${Id}/wait`);
          await call("DELETE", `/containers/${Id}`);
        }),
      "ctr CLI (4 calls)": () =>
        timed(async () => {
          const id = await spawn([ctx.ctr, "create", "--net", "none", "busybox", "true"]);
          await spawn([ctx.ctr, "start", id]);
          await spawn([ctx.ctr, "wait", id]);
          await spawn([ctx.ctr, "rm", id]);
        }),
      "ctr run --rm": () => timed(() => spawn([ctx.ctr, "run", "--rm", "--net", "none", "busybox", "true"])),
    };
    const docker = ["/usr/local/bin/docker", "/usr/bin/docker"].find((p) => Bun.file(p).size > 0) ?? (have("docker") ? "docker" : undefined);
    if (docker) {
      const cfg = join(ctx.work, "docker-config");
      c["docker CLI -> ctr daemon"] = () => timed(() => spawn([docker, "-H", `unix://${sock}`, "run", "--rm", "--network", "none", "busybox", "true"], { DOCKER_CONFIG: cfg }));
    } else ctx.notes.push("api: no docker CLI, so `docker run --rm` against ctr daemon is not measured (apt-get install docker.io)");
    ctx.notes.push("api: dockerd itself is not run here (it would take over the host's firewall and cgroups): the peers are ctr's own CLI");
    return [{ name: "create+start+wait+rm (daemon API)", unit: "ms", better: "lower", stats: await interleaveAsync(c, ctx.runs, ctx.warmup) }];
  } finally {
    daemon.kill("SIGTERM");
    await daemon.exited;
    tryRun([ctx.ctr, "rmi", "busybox"], ctx.ctrEnv);
  }
}
