// Checkpoint and restore through the real binary and a real CRIU (4.2, from
// a Debian root of its own that tests/fixtures/criu.ts bootstraps once and
// caches): a counter that stops and continues with its PIDs unchanged, twice;
// --leave-running; export, rm, import under a new name; a bridge-networked
// server that keeps its address and port; and the failure paths (no CRIU, a
// too old one, a failing dump or restore: nothing lost).
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { writeTar } from "../../image/tar.ts";
import { setupCriu } from "../fixtures/criu.ts";
import { leftoverCgroups, privateBridge, ROOTFS, testRoot, uniqueName } from "./harness.ts";

const CRIU = setupCriu();
const t = testRoot("criu");
const { root, ctr: ctrRaw } = t;
const X = 225 + (process.pid % 25);
const { env, clean } = privateBridge(t, "ctrc", `10.${X}.0.0/24`, `10.${X}.128.0/17`);
const ctr = (args: string[]) => ctrRaw(args, { env });
const K = ["--criu", CRIU];

afterAll(clean);

const inspect = (name: string) => JSON.parse(ctr(["inspect", name]).stdout)[0];
const record = (id: string) => JSON.parse(readFileSync(`${root}/containers/${id}/record.json`, "utf8"));
/** the counter's lines: "PID N" */
const counts = (name: string) =>
  ctr(["logs", name]).stdout.split("\n").filter((l) => /^\d+ \d+$/.test(l)).map((l) => l.split(" ").map(Number) as [number, number]);
const COUNTER = ["sh", "-c", 'i=0; while true; do i=$((i+1)); echo "$$ $i"; sleep 0.1; done'];

async function until(what: string, ok: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** The container's init holds its three stdio pipes and nothing else of the host's. */
function initFds(name: string): string[] {
  const r = ctr(["exec", name, "sh", "-c", "cd /proc/1/fd && for f in *; do echo \"$f $(readlink $f)\"; done"]);
  expect(r.code).toBe(0);
  return r.stdout.trim().split("\n");
}
const PIPES_ONLY = [/^0 pipe:\[\d+\]$/, /^1 pipe:\[\d+\]$/, /^2 pipe:\[\d+\]$/];

describe("checkpoint and restore in place", () => {
  test("a counter stops at the checkpoint and continues after restore, $$ still 1, twice", async () => {
    const name = uniqueName("count");
    expect(ctr(["run", "-d", "--net", "none", "--name", name, ROOTFS, ...COUNTER]).code).toBe(0);
    await until("the counter", () => counts(name).length >= 3);
    // nothing of the host's crosses into the container: by construction, not by luck
    initFds(name).forEach((l, i) => expect(l).toMatch(PIPES_ONLY[i]!));
    for (let round = 0; round < 2; round++) {
      const c = ctr(["checkpoint", ...K, name]);
      expect(c.stderr).toBe("");
      expect(c.code).toBe(0);
      expect(inspect(name).State.Status).toBe("exited");
      expect(inspect(name).State.Checkpointed).toBe(true);
      const stopped = counts(name);
      const last = stopped.at(-1)![1];
      await Bun.sleep(400);
      expect(counts(name).length).toBe(stopped.length); // the counter stopped
      const r = ctr(["restore", ...K, name]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      await until("the counter to continue", () => counts(name).length >= stopped.length + 3);
      const after = counts(name).slice(stopped.length);
      expect(after[0]).toEqual([1, last + 1]); // same PID inside, next number
      const st = inspect(name).State;
      expect(st.Status).toBe("running");
      expect(st.Restored).toBe(true);
      expect(st.Checkpointed).toBe(false);
      expect(st.RestoredFrom).toContain("/checkpoint");
      expect(st.CheckpointedAt <= st.RestoredAt).toBe(true);
      // the restored init is its new monitor's child, as any started init
      const rec = record(inspect(name).Id);
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${st.Pid}/status`, "utf8"))![1]);
      expect(ppid).toBe(rec.monitorPid);
      expect(ctr(["ps", "--format", "{{.Names}} {{.Status}}"]).stdout).toContain(`${name} Up`);
      initFds(name).forEach((l, i) => expect(l).toMatch(PIPES_ONLY[i]!));
    }
    // its monitor records the exit as for any container
    expect(ctr(["kill", name]).code).toBe(0);
    await until("the exit", () => inspect(name).State.Status === "exited");
    expect(inspect(name).State.ExitCode).toBe(137);
  }, 90000);

  test("--leave-running keeps it running and leaves a restorable checkpoint", async () => {
    const name = uniqueName("leave");
    expect(ctr(["run", "-d", "--net", "none", "--name", name, ROOTFS, ...COUNTER]).code).toBe(0);
    await until("the counter", () => counts(name).length >= 3);
    const pid = inspect(name).State.Pid;
    const c = ctr(["checkpoint", "--leave-running", ...K, name]);
    expect(c.code).toBe(0);
    const at = counts(name).at(-1)![1];
    expect(inspect(name).State.Status).toBe("running");
    expect(inspect(name).State.Pid).toBe(pid);
    await until("the counter to go on", () => counts(name).at(-1)![1] >= at + 5);
    expect(ctr(["kill", name]).code).toBe(0);
    await until("the exit", () => inspect(name).State.Status === "exited");
    const before = counts(name);
    expect(ctr(["restore", ...K, name]).code).toBe(0);
    await until("the restored counter", () => counts(name).length > before.length);
    // back to where the checkpoint was taken, not where it was killed
    const first = counts(name)[before.length]!;
    expect(first[0]).toBe(1);
    expect(first[1]).toBeLessThanOrEqual(at + 2);
    expect(first[1]).toBeLessThan(before.at(-1)![1]);
  }, 60000);
});

describe("export and import", () => {
  test("export, rm, import under a new name: rootfs writes, limits and state are back", async () => {
    const tarPath = `${root}/bb.tar`;
    Bun.spawnSync(["tar", "-C", ROOTFS, "-cf", tarPath, "."]);
    const image = `criu-bb-${process.pid}`;
    expect(ctr(["import", tarPath, image]).code).toBe(0);
    const name = uniqueName("exp");
    const script = 'echo kept > /written.txt; rm /etc/group; i=0; while true; do i=$((i+1)); echo "$$ $i"; sleep 0.1; done';
    expect(ctr(["run", "-d", "--net", "none", "--memory", "64m", "--name", name, image, "sh", "-c", script]).code).toBe(0);
    await until("the counter", () => counts(name).length >= 3);
    const oldId = inspect(name).Id;
    const file = `${root}/${name}.tar.zst`;
    const c = ctr(["checkpoint", "--export", file, ...K, name]);
    expect(c.stderr).toBe("");
    expect(c.code).toBe(0);
    const last = counts(name).at(-1)![1];
    expect(ctr(["rm", name]).code).toBe(0);
    expect(existsSync(`${root}/containers/${oldId}`)).toBe(false);

    const name2 = uniqueName("imp");
    const r = ctr(["restore", ...K, "--import", file, "--name", name2]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const st = inspect(name2).State;
    expect(st.Status).toBe("running");
    expect(st.RestoredFromContainer).toBe(name);
    expect(st.RestoredFrom).toBe(file);
    const x = ctr(["exec", name2, "sh", "-c", "cat /written.txt; ls /etc/group 2>&1; echo $$"]);
    expect(x.stdout).toContain("kept");
    expect(x.stdout).toContain("No such file");
    await until("the counter to continue", () => counts(name2).length >= 2);
    expect(counts(name2)[0]).toEqual([1, last + 1]);
    // a new cgroup (its own id) with the same limit; nothing under the old id
    const id = inspect(name2).Id;
    expect(readFileSync(`/proc/${st.Pid}/cgroup`, "utf8")).toContain(id);
    const rec = record(id);
    const limits = (rec.cgroup.paths as string[])
      .flatMap((p) => ["memory.limit_in_bytes", "memory.max"].map((f) => `${p}/${f}`))
      .filter(existsSync)
      .map((f) => readFileSync(f, "utf8").trim());
    expect(limits).toContain("67108864");
    expect(leftoverCgroups(oldId)).toEqual([]);
    // importing reads the archive, never consumes it
    expect(existsSync(file)).toBe(true);
    expect(ctr(["rm", "-f", name2]).code).toBe(0);
    expect(leftoverCgroups(id)).toEqual([]);
  }, 90000);
});

describe("networking", () => {
  test("a bridge-networked server keeps its address and still answers on its port, in place and imported", async () => {
    const name = uniqueName("web");
    expect(ctr(["run", "-d", "--name", name, ROOTFS, "httpd", "-f", "-p", "8080", "-h", "/var/www"]).code).toBe(0);
    const ip = inspect(name).NetworkSettings.IPAddress as string;
    expect(ip).toMatch(new RegExp(`^10\\.${X}\\.0\\.\\d+$`));
    const get = async () => (await fetch(`http://${ip}:8080/`, { signal: AbortSignal.timeout(3000) })).text();
    // httpd listens a moment after it starts
    for (let i = 0; i < 50 && !(await get().catch(() => "")); i++) await Bun.sleep(50);
    expect(await get()).toBe("hello from ctr\n");
    for (let round = 0; round < 2; round++) {
      const c = ctr(["checkpoint", ...K, name]);
      expect(c.stderr).toBe("");
      expect(c.code).toBe(0);
      const r = ctr(["restore", ...K, name]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(inspect(name).NetworkSettings.IPAddress).toBe(ip);
      expect(await get()).toBe("hello from ctr\n");
    }
    // exported, removed (its address released) and imported under a new name: the same address and routes again
    const routes = ctr(["exec", name, "ip", "route"]).stdout;
    expect(routes).toContain("default via");
    const file = `${root}/${name}.tar.zst`;
    expect(ctr(["checkpoint", "--export", file, ...K, name]).code).toBe(0);
    expect(ctr(["rm", name]).code).toBe(0);
    const name2 = uniqueName("web2");
    const r = ctr(["restore", ...K, "--import", file, "--name", name2]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(inspect(name2).NetworkSettings.IPAddress).toBe(ip);
    expect(ctr(["exec", name2, "ip", "route"]).stdout).toBe(routes);
    expect(await get()).toBe("hello from ctr\n");
  }, 60000);
});

describe("failure paths", () => {
  const fake = (body: string) => {
    const p = `${root}/fake-criu-${Math.floor(Math.random() * 1e9)}`;
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  };
  // a criu that says it is new and then fails, writing an error line to its log
  const failing = fake(`case "$1" in --version) echo "Version: 4.2.1"; exit 0;; esac
log=; while [ $# -gt 0 ]; do [ "$1" = --log-file ] && log=$2; shift; done
echo "(00.000001) Error (criu/fake.c:1): fake failure for the test" > "$log"; exit 1`);

  test("no CRIU, or one too old: one line saying what is needed, and the container keeps running", async () => {
    const name = uniqueName("nocriu");
    expect(ctr(["run", "-d", "--net", "none", "--name", name, ROOTFS, "sleep", "1000"]).code).toBe(0);
    const missing = ctr(["checkpoint", "--criu", `${root}/no-such-criu`, name]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain("needs CRIU 4.0 or newer");
    expect(missing.stderr).toContain("no-such-criu");
    const old = ctr(["checkpoint", "--criu", fake('echo "Version: 3.17"'), name]);
    expect(old.code).toBe(125);
    expect(old.stderr).toContain("is 3.17");
    expect(old.stderr).toContain("4.0 or newer");
    expect(inspect(name).State.Status).toBe("running");
  });

  test("a failing dump leaves the container running and no checkpoint; a failing restore keeps the checkpoint", async () => {
    const name = uniqueName("fail");
    expect(ctr(["run", "-d", "--net", "none", "--name", name, ROOTFS, ...COUNTER]).code).toBe(0);
    await until("the counter", () => counts(name).length >= 2);
    const id = inspect(name).Id;
    const pid = inspect(name).State.Pid;
    const d = ctr(["checkpoint", "--criu", failing, name]);
    expect(d.code).toBe(125);
    expect(d.stderr).toContain("keeps running");
    expect(d.stderr).toContain("fake failure for the test");
    expect(inspect(name).State.Status).toBe("running");
    expect(inspect(name).State.Pid).toBe(pid);
    expect(existsSync(`${root}/containers/${id}/checkpoint`)).toBe(false);

    expect(ctr(["checkpoint", ...K, name]).code).toBe(0);
    const r = ctr(["restore", "--criu", failing, name]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("the checkpoint is kept");
    expect(r.stderr).toContain("fake failure for the test");
    expect(inspect(name).State.Status).toBe("exited");
    expect(existsSync(`${root}/containers/${id}/checkpoint/ctr.json`)).toBe(true);
    expect(ctr(["restore", ...K, name]).code).toBe(0);
    expect(inspect(name).State.Status).toBe("running");
  }, 60000);

  test("an archive that would write outside its directory is refused before anything is written", () => {
    const target = `${root}/outside-${process.pid}`;
    mkdirSync(target, { recursive: true });
    const enc = new TextEncoder();
    const file = `${root}/hostile.tar.zst`;
    writeFileSync(file, Bun.zstdCompressSync(writeTar([
      { name: "checkpoint/ctr.json", type: "file", data: enc.encode("{}") },
      { name: "upper/x", type: "symlink", linkname: target },
      { name: "upper/x/evil", type: "file", data: enc.encode("evil") },
    ])));
    const list = () => (existsSync(`${root}/containers`) ? readdirSync(`${root}/containers`) : []);
    const before = list();
    const r = ctr(["restore", ...K, "--import", file, "--name", uniqueName("hostile")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("an entry below a symlink: upper/x/evil");
    expect(existsSync(`${target}/evil`)).toBe(false);
    expect(list()).toEqual(before);
  });

  test("what CRIU cannot dump is refused up front, naming it", () => {
    const name = uniqueName("tty");
    expect(ctr(["run", "-d", "-t", "--net", "none", "--name", name, ROOTFS, "sleep", "1000"]).code).toBe(0);
    const r = ctr(["checkpoint", ...K, name]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("has a terminal");
    expect(inspect(name).State.Status).toBe("running");
    const host = uniqueName("hostnet");
    expect(ctr(["run", "-d", "--net", "host", "--name", host, ROOTFS, "sleep", "1000"]).code).toBe(0);
    expect(ctr(["checkpoint", ...K, host]).stderr).toContain("network namespace of the host");
    expect(ctr(["restore", ...K, host]).stderr).toContain("only a stopped container can be restored");
  });
});
