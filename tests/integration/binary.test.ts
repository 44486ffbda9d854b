// The shipped binary as a user meets it: one file that runs without Bun,
// Node or a compiler, a help that lists every verb, and the TOML checks.
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CTR } from "./harness.ts";

const tmp = mkdtempSync("/tmp/ctr-bin-");
// a state root of its own: `debug plan` caches a seccomp program there
const run = (args: string[], cwd?: string) => {
  const p = Bun.spawnSync([CTR, ...args], { cwd, env: { ...process.env, CTR_ROOT: join(tmp, "state") } });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
};
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test("runs in a chroot holding only the binary and the libraries ldd names", () => {
  const root = join(tmp, "chroot");
  mkdirSync(join(root, "proc"), { recursive: true });
  copyFileSync(CTR, join(root, "ctr"));
  Bun.spawnSync(["chmod", "755", join(root, "ctr")]);
  const ldd = Bun.spawnSync(["ldd", CTR]).stdout.toString();
  const libs = [...ldd.matchAll(/(\/\S+)/g)].map((m) => m[1]!);
  expect(libs.length).toBeGreaterThan(0);
  for (const lib of libs) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib));
  }
  // a compiled Bun program finds its code through /proc/self/exe
  expect(Bun.spawnSync(["mount", "-t", "proc", "proc", join(root, "proc")]).exitCode).toBe(0);
  try {
    const p = Bun.spawnSync(["/usr/sbin/chroot", root, "/ctr", "version"], { env: { PATH: "/nonexistent" } });
    const out = p.stdout.toString();
    expect(p.exitCode).toBe(0);
    expect(out).toMatch(/Version:\s+\d+\.\d+\.\d+/);
    expect(out).toMatch(/Built with:\s+Bun \d/);
    expect(out).toMatch(/Cgroup mode:\s+(v1|v2|hybrid|none)/);
    expect(Bun.spawnSync(["/usr/sbin/chroot", root, "/bin/sh", "-c", "true"]).exitCode).not.toBe(0); // nothing else there
  } finally {
    Bun.spawnSync(["umount", join(root, "proc")]);
  }
});

test("version shows the build and the kernel features", () => {
  const v = JSON.parse(run(["version", "--json"]).stdout);
  expect(v.Version).toMatch(/^\d+\.\d+\.\d+$/);
  expect(v.GitCommit).toMatch(/^([0-9a-f]{7,}|unknown)$/);
  expect(v.BunVersion).toMatch(/^\d+\.\d+\.\d+/);
  expect(["v1", "v2", "hybrid"]).toContain(v.Features.cgroupMode);
  expect(typeof v.Features.userNamespaces).toBe("boolean");
  expect(typeof v.Features.overlayfs).toBe("boolean");
});

test("--help lists every verb and each verb has help with an example", () => {
  const help = run(["--help"]).stdout;
  const verbs = ["run", "create", "start", "exec", "ps", "inspect", "logs", "stop", "kill", "rm", "wait", "spec", "debug", "version"];
  for (const v of verbs) {
    expect(help).toContain(`  ${v} `);
    const h = run([v, "--help"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("Usage:");
    expect(h.stdout.toLowerCase()).toContain("example");
  }
  const bad = run(["frobnicate"]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain("'frobnicate' is not a ctr command");
});

test("spec validate accepts every example", () => {
  const root = join(import.meta.dir, "../..");
  for (const f of ["minimal", "web", "db", "app"]) {
    const r = run(["spec", "validate", `examples/${f}.toml`], root);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).command.length).toBeGreaterThan(0);
  }
});

test("a malformed file gets one line with file, line and key", () => {
  const f = join(tmp, "bad.toml");
  writeFileSync(f, 'name = "web"\nrootfs = "/tmp"\ncommand = ["true"]\n\n[resources]\nmemory = "64m"\nmemmory = "1g"\n');
  const r = run(["spec", "validate", f]);
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim()).toBe(`ctr: ${f}:7: unknown key "memmory" in [resources]; did you mean "memory"?`);
  writeFileSync(f, 'name = "web"\ncommand = [\n');
  const s = run(["spec", "validate", f]);
  expect(s.code).not.toBe(0);
  expect(s.stderr).toContain(`${f}:`);
  writeFileSync(f, '[resources]\nmemory = "12q"\n');
  const q = run(["spec", "validate", f]);
  expect(q.stderr).toContain(`${f}:2:`);
  expect(q.stderr).toContain('invalid size "12q"');
});

test("debug plan prints the executor's steps without running anything", () => {
  const r = run(["debug", "plan", "--net", "none", "--read-only", "/", "sh"]);
  expect(r.code).toBe(0);
  const ops = r.stdout.split("\n").map((l) => l.trim().split(" ")[1]);
  for (const op of ["CLONE_FLAGS", "UNSHARE", "ROOTFS", "PIVOT_ROOT", "MASK", "READONLY", "ROOT_READONLY", "CAP_BOUNDING", "USER", "CAPSET", "NO_NEW_PRIVS", "SECCOMP", "EXEC"]) {
    expect(ops).toContain(op);
  }
  // order that security depends on
  expect(ops.indexOf("PIVOT_ROOT")).toBeLessThan(ops.indexOf("MASK"));
  expect(ops.indexOf("NO_NEW_PRIVS")).toBeLessThan(ops.indexOf("SECCOMP"));
  expect(ops.indexOf("SECCOMP")).toBeLessThan(ops.indexOf("EXEC"));
});
