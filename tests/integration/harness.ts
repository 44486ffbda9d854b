// What every integration test uses: the compiled binary, a private state
// root (so tests never see or touch anything else), a busybox rootfs built
// once per run, and cleanup of every container the test made.
import { afterAll } from "bun:test";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withNetlink } from "../../net/netlink/client.ts";
import { listNetworks } from "../../net/store.ts";
import { buildRootfs } from "../fixtures/rootfs.ts";

export const CTR = join(import.meta.dir, "../../dist/ctr");
export const ROOTFS = buildRootfs(join(process.env.TMPDIR ?? "/tmp", "ctr-test-rootfs"));

if (process.getuid?.() !== 0) throw new Error("integration tests need root: run them as root (CI does)");
if (!existsSync(CTR)) throw new Error(`${CTR} is missing: run 'bun run build' first`);

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** A state root of its own per test file; removed (with its containers) after the file. */
export interface TestRoot {
  root: string;
  ctr: (args: string[], opts?: RunOpts) => Result;
  ctrAsync: (args: string[], opts?: RunOpts) => Promise<Result>;
  /** a CLI left running (to be signalled or killed by the test); output piped or ignored */
  spawnCtr: (args: string[], output?: "pipe" | "ignore") => Bun.Subprocess<"ignore", "pipe" | "ignore", "pipe" | "ignore">;
  /** until `ps` lists the named container as running (a spawned CLI got that far) */
  waitRunning: (name: string) => void;
}

export function testRoot(tag: string): TestRoot {
  const root = `/run/ctr-test-${tag}-${process.pid}`;
  mkdirSync(root, { recursive: true });
  const env = { ...process.env, CTR_ROOT: root };
  const ctr = (args: string[], opts: RunOpts = {}): Result => {
    const p = Bun.spawnSync([CTR, ...args], { env: { ...env, ...opts.env }, stdin: opts.stdin ?? "ignore", cwd: opts.cwd });
    return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  };
  const ctrAsync = async (args: string[], opts: RunOpts = {}): Promise<Result> => {
    const p = Bun.spawn([CTR, ...args], { env: { ...env, ...opts.env }, stdin: opts.stdin ?? "ignore", stdout: "pipe", stderr: "pipe", cwd: opts.cwd });
    const [stdout, stderr] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
    return { code: await p.exited, stdout, stderr };
  };
  afterAll(() => {
    const ids = ctr(["ps", "-aq", "--no-trunc"]).stdout.split("\n").filter(Boolean);
    if (ids.length) ctr(["rm", "-f", ...ids]);
    // the bridges of networks a failed test did not remove: their records go with the root
    const bridges = listNetworks(root).map((n) => n.bridge);
    if (bridges.length) withNetlink((nl) => bridges.forEach((b) => nl.deleteLink(b)));
    rmSync(root, { recursive: true, force: true });
  });
  const spawnCtr = (args: string[], output: "pipe" | "ignore" = "ignore") =>
    Bun.spawn([CTR, ...args], { env, stdin: "ignore", stdout: output, stderr: output });
  const waitRunning = (name: string) => {
    for (let i = 0; i < 100 && ctr(["ps", "--format", "{{.Names}}"]).stdout.trim() !== name; i++) Bun.sleepSync(20);
  };
  return { root, ctr, ctrAsync, spawnCtr, waitRunning };
}

export interface RunOpts {
  env?: Record<string, string>;
  stdin?: "ignore" | "inherit" | Blob;
  cwd?: string;
}

/** Cgroup directories a container id left anywhere under /sys/fs/cgroup. */
export function leftoverCgroups(id: string): string[] {
  const out = Bun.spawnSync(["find", "/sys/fs/cgroup", "-maxdepth", "4", "-name", `${id}*`]).stdout.toString();
  return out.split("\n").filter(Boolean);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
}

export { join };

/** Container cgroup directories (…/ctr/<id>) across all hierarchies right now. */
export function containerCgroups(): Set<string> {
  const out = Bun.spawnSync(["find", "/sys/fs/cgroup", "-mindepth", "2", "-maxdepth", "4", "-type", "d", "-path", "*/ctr/*"]).stdout.toString();
  return new Set(out.split("\n").filter(Boolean));
}

/** Cgroup directories that appeared since `before` (what a step left behind). */
export function newCgroups(before: Set<string>): string[] {
  return [...containerCgroups()].filter((d) => !before.has(d));
}

export { removeNewEmptyDirs } from "../fixtures/tidy.ts";

/**
 * A default bridge and address pool of the test file's own, in a CTR_CONFIG
 * beside its state root, so the host's ctr0 is never touched. `clean()` (in
 * the file's afterAll) removes the root's containers, the bridges of the
 * networks the root made, and that bridge.
 */
export function privateBridge(t: TestRoot, prefix: string, subnet: string, pool: string, extra = "") {
  const BRIDGE = `${prefix}${process.pid % 100000}`;
  const CONFIG = join(t.root, "ctr.toml");
  writeFileSync(CONFIG, `[network]\nbridge = "${BRIDGE}"\nsubnet = "${subnet}"\npool = "${pool}"\n${extra}`);
  const env = { CTR_CONFIG: CONFIG };
  const clean = () => {
    const ids = t.ctr(["ps", "-aq", "--no-trunc"], { env }).stdout.split("\n").filter(Boolean);
    if (ids.length) t.ctr(["rm", "-f", ...ids], { env });
    withNetlink((nl) => {
      for (const n of listNetworks(t.root)) nl.deleteLink(n.bridge);
      nl.deleteLink(BRIDGE);
    });
  };
  return { BRIDGE, CONFIG, env, clean };
}
