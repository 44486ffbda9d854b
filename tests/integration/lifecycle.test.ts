// The container life cycle through the real binary: run, create/start, exec,
// ps, inspect, logs, stop, kill, wait, rm, restart, and what is left behind.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { containerCgroups, leftoverCgroups, newCgroups, ROOTFS, testRoot, uniqueName } from "./harness.ts";

const { root, ctr, ctrAsync, spawnCtr, waitRunning } = testRoot("life");
const NONE = ["--net", "none"];

describe("run, attached", () => {
  test("prints the command's output and returns its status", () => {
    const r = ctr(["run", "--rm", ...NONE, ROOTFS, "sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(r.stdout).toBe("out\n");
    expect(r.stderr).toBe("err\n");
    expect(r.code).toBe(3);
  });
  test("--rm leaves no container, state or cgroup", () => {
    const before = containerCgroups();
    const r = ctr(["run", "--rm", ...NONE, "--name", uniqueName("rm"), ROOTFS, "true"]);
    expect(r.code).toBe(0);
    expect(ctr(["ps", "-aq"]).stdout).toBe("");
    expect(newCgroups(before)).toEqual([]);
  });
  test("a signal kills with 128+N", async () => {
    const name = uniqueName("sig");
    const running = ctrAsync(["run", "--rm", ...NONE, "--name", name, ROOTFS, "sleep", "100"]);
    for (let i = 0; i < 100 && !ctr(["ps", "-q"]).stdout; i++) Bun.sleepSync(20);
    expect(ctr(["kill", name]).code).toBe(0);
    expect((await running).code).toBe(128 + 9);
  });
  test("stdin reaches the container with -i", () => {
    const r = ctr(["run", "--rm", "-i", ...NONE, ROOTFS, "sh", "-c", "tr a-z A-Z"], { stdin: new Blob(["hello\n"]) });
    expect(r.stdout).toBe("HELLO\n");
  });
  test("a command that does not exist: 127", () => {
    const r = ctr(["run", "--rm", ...NONE, ROOTFS, "no-such-command"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('exec: "no-such-command": executable file not found in $PATH');
  });
  test("a command that cannot be executed: 126", () => {
    const r = ctr(["run", "--rm", ...NONE, ROOTFS, "/etc/passwd"]);
    expect(r.code).toBe(126);
    expect(r.stderr).toContain("permission denied");
  });
});

describe("detached", () => {
  test("run -d, ps, logs, inspect, exec, stop, rm", () => {
    const name = uniqueName("web");
    const r = ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sh", "-c", "echo started; echo oops >&2; exec sleep 1000"]);
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(ctr(["ps", "--format", "{{.Names}} {{.State}}"]).stdout).toContain(`${name} running`);
    const pid = Number(ctr(["inspect", "--format", "{{.State.Pid}}", name]).stdout);
    expect(pid).toBeGreaterThan(1);
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    Bun.sleepSync(100);
    const logs = ctr(["logs", name]);
    expect(logs.stdout).toBe("started\n");
    expect(logs.stderr).toBe("oops\n");
    const log = readFileSync(JSON.parse(ctr(["inspect", name]).stdout)[0].LogPath, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(log.map((l: { stream: string }) => l.stream).sort()).toEqual(["stderr", "stdout"]);
    expect(ctr(["exec", name, "sh", "-c", "echo $((6*7))"]).stdout).toBe("42\n");
    expect(ctr(["exec", name, "sh", "-c", "exit 5"]).code).toBe(5);
    expect(ctr(["stop", "-t", "1", name]).code).toBe(0);
    expect(ctr(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name]).stdout.trim()).toBe("exited 137");
    expect(ctr(["ps", "-a", "--format", "{{.Status}}"]).stdout).toContain("Exited (137)");
    expect(ctr(["rm", name]).code).toBe(0);
    expect(leftoverCgroups(id)).toEqual([]);
    expect(existsSync(`${root}/containers/${id}`)).toBe(false);
  });

  test("stop sends SIGTERM first: a handler gets to run", () => {
    const name = uniqueName("term");
    ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sh", "-c", "trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"]);
    Bun.sleepSync(200);
    ctr(["stop", name]);
    expect(ctr(["inspect", "-f", "{{.State.ExitCode}}", name]).stdout.trim()).toBe("0");
    expect(ctr(["logs", name]).stdout).toBe("bye\n");
    ctr(["rm", name]);
  });

  test("kill -s, wait", async () => {
    const name = uniqueName("kill");
    ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sh", "-c", "trap 'exit 7' HUP; while true; do sleep 0.1; done"]);
    Bun.sleepSync(200);
    const waiting = ctrAsync(["wait", name]);
    expect(ctr(["kill", "-s", "HUP", name]).code).toBe(0);
    expect((await waiting).stdout.trim()).toBe("7");
    expect(ctr(["kill", name]).stderr).toContain("is not running");
    ctr(["rm", name]);
  });

  test("rm refuses a running container without -f", () => {
    const name = uniqueName("busy");
    ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sleep", "1000"]);
    const r = ctr(["rm", name]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("You cannot remove a running container");
    expect(ctr(["rm", "-f", name]).code).toBe(0);
    expect(ctr(["ps", "-aq"]).stdout).toBe("");
  });

  test("names are unique", () => {
    const name = uniqueName("dup");
    ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sleep", "1000"]);
    const r = ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sleep", "1000"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`The container name "/${name}" is already in use`);
    ctr(["rm", "-f", name]);
  });
});

describe("create and start", () => {
  test("the command runs only after start", () => {
    const name = uniqueName("cs");
    const r = ctr(["create", ...NONE, "--name", name, ROOTFS, "sh", "-c", "echo ran"]);
    expect(r.code).toBe(0);
    expect(ctr(["ps", "-a", "--format", "{{.State}}"]).stdout.trim()).toBe("created");
    expect(ctr(["logs", name]).stdout).toBe("");
    expect(ctr(["start", name]).code).toBe(0);
    expect(ctr(["wait", name]).stdout.trim()).toBe("0");
    expect(ctr(["logs", name]).stdout).toBe("ran\n");
    ctr(["rm", name]);
  });
});

describe("the monitor", () => {
  test("wait on a --rm container prints its exit code, though its CLI removes it the moment it exits", async () => {
    for (let i = 0; i < 3; i++) {
      const name = uniqueName("waitrm");
      const p = spawnCtr(["run", "--rm", ...NONE, "--name", name, ROOTFS, "sh", "-c", "sleep 0.3; exit 3"]);
      waitRunning(name);
      const w = await ctrAsync(["wait", name]);
      expect(w.stdout).toBe("3\n");
      expect(await p.exited).toBe(3);
    }
  });

  // the monitor of an attached --rm waits for its CLI to let go, and the CLI waits for rm's lock:
  // rm must not wait for the monitor to leave once the exit is recorded (it did, 10 s)
  test("rm -f of an attached --rm container returns at once; the CLI says 137 and nothing is left", async () => {
    const name = uniqueName("rmatt");
    const p = spawnCtr(["run", "--rm", ...NONE, "--name", name, ROOTFS, "sleep", "100"]);
    waitRunning(name);
    const t = performance.now();
    expect(ctr(["rm", "-f", name]).code).toBe(0);
    expect(performance.now() - t).toBeLessThan(5000);
    expect(await p.exited).toBe(137);
    expect(ctr(["ps", "-aq"]).stdout).toBe("");
    expect(existsSync(join(root, "names", name))).toBe(false);
  });

  test("the container outlives a CLI killed with -9 and its exit is still recorded", async () => {
    const name = uniqueName("orphan");
    const p = spawnCtr(["run", ...NONE, "--name", name, ROOTFS, "sh", "-c", "sleep 1; exit 4"]);
    waitRunning(name);
    p.kill("SIGKILL");
    await p.exited;
    expect(ctr(["ps", "--format", "{{.Names}} {{.State}}"]).stdout.trim()).toBe(`${name} running`);
    expect(ctr(["wait", name]).stdout.trim()).toBe("4");
    ctr(["rm", name]);
  });

  test("the monitor's resident memory stays under 1.5 MiB", () => {
    const name = uniqueName("rss");
    ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sleep", "1000"]);
    const mon = JSON.parse(ctr(["inspect", name]).stdout)[0].Ctr.MonitorPid;
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${mon}/status`, "utf8"))![1]);
    expect(rss).toBeLessThan(1536);
    ctr(["rm", "-f", name]);
  });

  test("restart on-failure:2 runs the command three times", () => {
    const name = uniqueName("restart");
    ctr(["run", "-d", ...NONE, "--name", name, "--restart", "on-failure:2", ROOTFS, "sh", "-c", "echo try; exit 1"]);
    for (let i = 0; i < 200 && ctr(["inspect", "-f", "{{.State.Status}}", name]).stdout.trim() !== "exited"; i++) Bun.sleepSync(20);
    expect(ctr(["logs", name]).stdout).toBe("try\ntry\ntry\n");
    expect(ctr(["inspect", "-f", "{{.RestartCount}} {{.State.ExitCode}}", name]).stdout.trim()).toBe("2 1");
    ctr(["rm", name]);
  });
});

describe("bad input changes nothing", () => {
  const cases: [string, string[], number, string][] = [
    ["missing rootfs", ["/nonexistent/rootfs", "true"], 125, "rootfs /nonexistent/rootfs: no such directory"],
    ["unknown user", ["--user", "nosuchuser", ROOTFS, "true"], 125, "unable to find user nosuchuser"],
    ["missing bind source", ["-v", "/nonexistent/src:/mnt", ROOTFS, "true"], 125, "bind source path does not exist: /nonexistent/src"],
    ["bad memory size", ["--memory", "12q", ROOTFS, "true"], 125, 'invalid size "12q"'],
    ["unknown flag", ["--bogus", ROOTFS, "true"], 125, "unknown flag: --bogus"],
    ["missing workdir parent is created, but a file is not a dir", ["-w", "/etc/passwd", ROOTFS, "true"], 125, "/etc/passwd"],
  ];
  for (const [what, args, code, msg] of cases) {
    test(what, () => {
      const before = containerCgroups();
      const r = ctr(["run", "--rm", ...NONE, "--name", uniqueName("bad"), ...args]);
      expect(r.code).toBe(code);
      expect(r.stderr).toContain(msg);
      expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
      expect(ctr(["ps", "-aq"]).stdout).toBe("");
      expect(newCgroups(before)).toEqual([]);
    });
  }
});

describe("top, rename, tty, signals, logs", () => {
  test("top lists host pids with ps -o columns", () => {
    const name = uniqueName("top");
    ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sh", "-c", "sleep 1000 & exec sleep 2000"]);
    Bun.sleepSync(200);
    const pid = Number(ctr(["inspect", "-f", "{{.State.Pid}}", name]).stdout);
    const r = ctr(["top", name, "-o", "pid,ppid,user,cmd"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^PID\s+PPID\s+USER\s+CMD$/);
    expect(lines.length).toBe(3);
    expect(lines.some((l) => l.startsWith(`${pid} `) && l.endsWith("sleep 2000"))).toBe(true);
    expect(lines.some((l) => /^\d+\s+\d+\s+root\s+sleep 1000$/.test(l) && l.split(/\s+/)[1] === String(pid))).toBe(true);
    expect(ctr(["top", name, "-o", "bogus"]).code).toBe(1);
    ctr(["rm", "-f", name]);
  });

  test("rename keeps names unique", () => {
    const a = uniqueName("ra");
    const b = uniqueName("rb");
    ctr(["create", ...NONE, "--name", a, ROOTFS, "true"]);
    ctr(["create", ...NONE, "--name", b, ROOTFS, "true"]);
    expect(ctr(["rename", a, b]).stderr).toContain("is already in use");
    expect(ctr(["rename", a, `${a}-new`]).code).toBe(0);
    expect(ctr(["inspect", "-f", "{{.Name}}", `${a}-new`]).stdout.trim()).toBe(`/${a}-new`);
    expect(ctr(["inspect", a]).code).toBe(1);
    ctr(["rm", "-f", `${a}-new`, b]);
  });

  test("-t gives a pty from the container's own devpts, as the controlling terminal", () => {
    const r = ctr(["run", "--rm", "-t", ...NONE, ROOTFS, "sh", "-c", "tty; stty size; ls -l /dev/console | cut -c1"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.replaceAll("\r", "").trim().split("\n");
    expect(lines[0]).toBe("/dev/pts/0");
    expect(lines[1]).toBe("24 80");
    expect(lines[2]).toBe("c");
  });

  test("signals sent to an attached CLI reach the container", async () => {
    const name = uniqueName("fwd");
    const p = spawnCtr(["run", ...NONE, "--name", name, ROOTFS, "sh", "-c", "trap 'echo got TERM; exit 9' TERM; while true; do sleep 0.1; done"], "pipe");
    waitRunning(name);
    Bun.sleepSync(200);
    p.kill("SIGTERM");
    expect(await p.exited).toBe(9);
    expect(await new Response(p.stdout).text()).toBe("got TERM\n");
    ctr(["rm", name]);
  });

  test("logs -f of a --rm container: every line, to the last one written before it was removed, and exit 0", async () => {
    const id = ctr(["run", "-d", "--rm", ...NONE, ROOTFS, "sh", "-c", "echo a; sleep 0.3; echo b"]).stdout.trim();
    const f = await ctrAsync(["logs", "-f", id]);
    expect(f.stdout).toBe("a\nb\n");
    expect(f.stderr).toBe("");
    expect(f.code).toBe(0);
  });

  test("logs --tail, --timestamps, --since, -f", async () => {
    const name = uniqueName("logs");
    ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done; sleep 1; echo late"]);
    // wait for the five lines (a loaded machine may take a while to start it), not a fixed time
    for (let i = 0; i < 200 && !ctr(["logs", name]).stdout.includes("line5"); i++) Bun.sleepSync(10);
    expect(ctr(["logs", "--tail", "2", name]).stdout).toBe("line4\nline5\n");
    expect(ctr(["logs", "-t", "--tail", "1", name]).stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line5\n$/);
    expect(ctr(["logs", "--since", "1h", name]).stdout.split("\n").length).toBeGreaterThanOrEqual(6);
    expect(ctr(["logs", "--since", "2099-01-01T00:00:00Z", name]).stdout).toBe("");
    const f = await ctrAsync(["logs", "-f", "--tail", "0", name]);
    expect(f.stdout).toBe("late\n");
    ctr(["rm", name]);
  });
});

describe("kill -9 of the CLI at any point of create", () => {
  test("leaves a state that ps shows and rm -f removes completely", async () => {
    const name = uniqueName("k9");
    for (const delay of [0, 5, 15, 30, 45, 60, 80]) {
      const p = spawnCtr(["create", ...NONE, "--name", `${name}-${delay}`, ROOTFS, "true"]);
      await Bun.sleep(delay);
      p.kill("SIGKILL");
      await p.exited;
    }
    const ps = ctr(["ps", "-a", "--format", "{{.ID}} {{.State}}"]);
    expect(ps.code).toBe(0);
    for (const line of ps.stdout.trim().split("\n").filter(Boolean)) expect(line).toMatch(/^[0-9a-f]{12} (created|creating|dead|exited)$/);
    const ids = ctr(["ps", "-aq", "--no-trunc"]).stdout.trim().split("\n").filter(Boolean);
    if (ids.length) expect(ctr(["rm", "-f", ...ids]).code).toBe(0);
    expect(ctr(["ps", "-aq"]).stdout).toBe("");
    for (const id of ids) expect(leftoverCgroups(id)).toEqual([]);
    expect(Bun.spawnSync(["sh", "-c", `ls ${root}/names ${root}/containers 2>/dev/null | grep -v '^$' | grep -v ':$'`]).stdout.toString().trim()).toBe("");
  });

  // the narrowest window: killed between making the directory and its first record
  test("a container directory without a record is listed as dead, and rm -f removes it", () => {
    const id = "d".repeat(40) + String(process.pid).padStart(24, "0");
    mkdirSync(join(root, "containers", id), { recursive: true });
    expect(ctr(["ps", "-a", "--format", "{{.ID}} {{.State}} {{.Status}}"]).stdout).toContain(`${id.slice(0, 12)} dead Dead\n`);
    expect(ctr(["ps", "-aq", "--no-trunc"]).stdout.split("\n")).toContain(id);
    expect(ctr(["rm", "-f", id.slice(0, 16)]).code).toBe(0);
    expect(existsSync(join(root, "containers", id))).toBe(false);
    expect(ctr(["ps", "-aq", "--no-trunc"]).stdout).not.toContain(id);
  });

  test("an rm killed between removing the directory and its lock: the next rm sweeps the lock file (not one still held)", async () => {
    const gone = join(root, "containers", `.${"f".repeat(40)}${String(process.pid).padStart(24, "0")}.lock`);
    writeFileSync(gone, "");
    const held = join(root, "containers", `.${"c".repeat(40)}${String(process.pid).padStart(24, "0")}.lock`);
    const holder = Bun.spawn(["flock", held, "sleep", "30"]);
    for (let i = 0; i < 100 && !existsSync(held); i++) await Bun.sleep(10);
    await Bun.sleep(50); // flock(1) takes the lock right after creating the file
    const name = uniqueName("sweep");
    ctr(["create", ...NONE, "--name", name, ROOTFS, "true"]);
    expect(ctr(["rm", "-f", name]).code).toBe(0);
    expect(existsSync(gone)).toBe(false);
    expect(existsSync(held)).toBe(true);
    holder.kill();
    await holder.exited;
    rmSync(held, { force: true });
  });
});

describe("more of exec and restart", () => {
  test("exec -t gets a pty of the container's devpts", () => {
    const name = uniqueName("exect");
    ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sleep", "1000"]);
    const r = ctr(["exec", "-t", name, "sh", "-c", "tty; stty size"]);
    expect(r.code).toBe(0);
    expect(r.stdout.replaceAll("\r", "").trim().split("\n")).toEqual(["/dev/pts/0", "24 80"]);
    ctr(["rm", "-f", name]);
  });

  test("restart always brings the command back until stop, which ends it for good", () => {
    const name = uniqueName("always");
    ctr(["run", "-d", ...NONE, "--name", name, "--restart", "always", ROOTFS, "sh", "-c", "echo up; sleep 0.2; exit 0"]);
    for (let i = 0; i < 200 && Number(ctr(["inspect", "-f", "{{.RestartCount}}", name]).stdout) < 2; i++) Bun.sleepSync(20);
    expect(Number(ctr(["inspect", "-f", "{{.RestartCount}}", name]).stdout)).toBeGreaterThanOrEqual(2);
    expect(ctr(["stop", "-t", "1", name]).code).toBe(0);
    const count = ctr(["logs", name]).stdout.split("\n").filter(Boolean).length;
    Bun.sleepSync(600);
    expect(ctr(["inspect", "-f", "{{.State.Status}}", name]).stdout.trim()).toBe("exited");
    expect(ctr(["logs", name]).stdout.split("\n").filter(Boolean).length).toBe(count);
    ctr(["rm", name]);
  });
});
