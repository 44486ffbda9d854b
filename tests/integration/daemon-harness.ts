// What the daemon tests share: a `ctr daemon` of their own on a private
// socket and state root, a busybox image in that root, and the real docker
// CLI pointed at it (its config in a temp dir, the host's left alone).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeTar } from "../../image/tar.ts";
import { rootfsEntries } from "../fixtures/image.ts";
import { CTR, ROOTFS, type TestRoot } from "./harness.ts";

/** Docker's own CLI (28 here; Debian's docker.io in CI): the tests fail, not skip, without one. */
export const DOCKER = existsSync("/usr/local/bin/docker") ? "/usr/local/bin/docker" : (Bun.which("docker") ?? "");
if (!DOCKER) throw new Error("the daemon tests drive ctr with the docker CLI: install it (apt-get install docker.io)");

export interface Daemon {
  proc: Bun.Subprocess<"ignore", "ignore", "pipe">;
  /** the daemon's stderr so far (read once it exited) */
  stderr: () => Promise<string>;
}

export function dockerConfigDir(): string {
  return mkdtempSync("/tmp/ctr-test-dockercfg-");
}

/** busybox:latest in the root's image store, made from the test rootfs. */
export function importBusybox(t: TestRoot, work: string): void {
  const tar = join(work, "busybox.tar");
  writeFileSync(tar, writeTar(rootfsEntries(ROOTFS, ["data", "host"])));
  const r = t.ctr(["import", tar, "busybox"]);
  if (r.code !== 0) throw new Error(`ctr import: ${r.stderr}`);
  rmSync(tar);
}

export function startDaemon(root: string, args: string[], env: Record<string, string> = {}): Daemon {
  const proc = Bun.spawn([CTR, "daemon", ...args], { env: { ...process.env, CTR_ROOT: root, ...env }, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  let text: Promise<string> | undefined;
  return { proc, stderr: () => (text ??= new Response(proc.stderr).text()) };
}

/** Until the socket answers /_ping (or the daemon died). */
export async function waitPing(sock: string, d: Daemon, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (d.proc.exitCode !== null) throw new Error(`daemon exited ${d.proc.exitCode}: ${await d.stderr()}`);
    try {
      const r = await fetch("http://ctr/_ping", { unix: sock });
      if (r.ok) return;
    } catch {}
    await Bun.sleep(20);
  }
  throw new Error("daemon did not answer /_ping");
}

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function dockerCli(host: string, configDir: string, extra: string[] = []) {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", DOCKER_CONFIG: configDir, HOME: configDir };
  const sync = (args: string[], stdin?: Blob): DockerResult => {
    const p = Bun.spawnSync([DOCKER, ...extra, "-H", host, ...args], { env, stdin: stdin ?? "ignore" });
    return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  };
  const ok = (args: string[], stdin?: Blob): string => {
    const r = sync(args, stdin);
    if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  return { run: sync, ok };
}

export async function freePort(): Promise<number> {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}
