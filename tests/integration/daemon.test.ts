// `ctr daemon` driven by the real docker CLI: version, run (detached and
// attached), ps, inspect, top, logs, exec, stats, pause, stop, kill, rm; the
// daemon killed with -9 while containers run, then started again; 50
// parallel create+start requests.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { withNetlink } from "../../net/netlink/client.ts";
import { type Daemon, dockerCli, dockerConfigDir, importBusybox, startDaemon, waitPing } from "./daemon-harness.ts";
import { testRoot } from "./harness.ts";

const t = testRoot("daemon");
const cfgDir = dockerConfigDir();
const SOCK = `${t.root}/api.sock`;
// a bridge and subnet of its own (CTR_CONFIG), so the parallel test never touches the host's
const X = 100 + ((process.pid + 37) % 100);
const BRIDGE = `ctrd${process.pid % 100000}`;
const CONFIG = `${t.root}/ctr.toml`;
writeFileSync(CONFIG, `[network]\nbridge = "${BRIDGE}"\nsubnet = "10.${X}.0.0/24"\npool = "10.${X}.0.0/16"\n`);
const ENV = { CTR_CONFIG: CONFIG };
importBusybox(t, t.root);
const docker = dockerCli(`unix://${SOCK}`, cfgDir);

let daemon: Daemon = startDaemon(t.root, ["-H", `unix://${SOCK}`], ENV);
await waitPing(SOCK, daemon);

afterAll(async () => {
  daemon.proc.kill("SIGTERM");
  await daemon.proc.exited;
  rmSync(cfgDir, { recursive: true, force: true });
  t.ctr(["rm", "-f", ...t.ctr(["ps", "-aq", "--no-trunc"]).stdout.split("\n").filter(Boolean)], { env: ENV });
  withNetlink((nl) => nl.deleteLink(BRIDGE));
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const ppid = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);

describe("docker CLI against ctr daemon", () => {
  test("version: the server answers with its API version", () => {
    const v = docker.ok(["version", "--format", "{{.Server.APIVersion}} {{.Server.Platform.Name}}"]).trim();
    expect(v).toBe("1.45 ctr");
  });

  test("run -d, ps, inspect .State.Pid, top, logs, exec, stop, rm", async () => {
    const id = docker.ok(["run", "-d", "--network", "none", "--name", "web", "busybox", "sh", "-c", "echo started; exec sleep 100"]).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(docker.ok(["ps", "--format", "{{.Names}} {{.State}}"])).toContain("web running");
    const pid = Number(docker.ok(["inspect", "--format", "{{.State.Pid}}", "web"]).trim());
    expect(pid).toBeGreaterThan(1);
    expect(alive(pid)).toBe(true);
    // the container's init is the monitor's child, never the daemon's
    expect(ppid(pid)).not.toBe(daemon.proc.pid);
    expect(ppid(pid)).toBe(Number(docker.ok(["inspect", "--format", "{{.Ctr.MonitorPid}}", "web"]).trim()));
    const top = docker.ok(["top", "web"]);
    expect(top).toMatch(/^UID\s+PID\s+PPID/);
    expect(top).toContain(String(pid));
    for (let i = 0; i < 100 && !docker.ok(["logs", "web"]).includes("started"); i++) await Bun.sleep(20);
    expect(docker.ok(["logs", "web"])).toBe("started\n");
    const ex = docker.run(["exec", "web", "sh", "-c", "echo out; echo err >&2; exit 4"]);
    expect([ex.code, ex.stdout, ex.stderr]).toEqual([4, "out\n", "err\n"]);
    expect(docker.ok(["exec", "-i", "web", "cat"], new Blob(["from stdin\n"]))).toBe("from stdin\n");
    expect(docker.ok(["exec", "-t", "web", "tty"]).trim()).toMatch(/^\/dev\/pts\/\d+$/);
    expect(docker.run(["exec", "web", "nosuchcmd"]).code).toBe(127);
    expect(docker.ok(["stop", "-t", "1", "web"]).trim()).toBe("web");
    expect(alive(pid)).toBe(false);
    expect(docker.ok(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "web"]).trim()).toBe("exited 137");
    expect(docker.ok(["rm", "web"]).trim()).toBe("web");
    expect(docker.run(["inspect", "--type", "container", "web"]).stderr).toContain("No such container: web");
  });

  test("run --rm attached: output on stdout and stderr, the container's exit status, nothing left", () => {
    const r = docker.run(["run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo hi; echo oops >&2; exit 3"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([3, "hi\n", "oops\n"]);
    expect(docker.ok(["run", "--rm", "--network", "none", "busybox", "echo", "hello"])).toBe("hello\n");
    expect(docker.ok(["ps", "-aq"])).toBe("");
  });

  test("run -i: the client's stdin reaches the container, its EOF too", () => {
    const r = docker.run(["run", "--rm", "-i", "--network", "none", "busybox", "sh", "-c", "cat; echo done; exit 5"], new Blob(["hello\nworld\n"]));
    expect([r.code, r.stdout]).toEqual([5, "hello\nworld\ndone\n"]);
    expect(docker.ok(["run", "--rm", "-i", "--network", "none", "busybox", "wc", "-c"], new Blob(["abc"])).trim()).toBe("3");
  });

  test("run -t: raw output through a pty; resize sets its size", async () => {
    expect(docker.ok(["run", "--rm", "-t", "--network", "none", "busybox", "tty"]).trim()).toMatch(/^\/dev\/pts\/\d+$/);
    docker.ok(["run", "-d", "-t", "--network", "none", "--name", "tt", "busybox", "sleep", "100"]);
    const r = await fetch("http://ctr/v1.45/containers/tt/resize?h=33&w=77", { unix: SOCK, method: "POST" });
    expect(r.status).toBe(200);
    expect(docker.ok(["exec", "tt", "sh", "-c", "stty size < /proc/1/fd/0"]).trim()).toBe("33 77");
    expect((await fetch("http://ctr/v1.45/containers/tt/resize?h=0&w=77", { unix: SOCK, method: "POST" })).status).toBe(400);
    docker.ok(["rm", "-f", "tt"]);
  });

  test("restart, and start of an exited container: a new run, same address, log appended", async () => {
    docker.ok(["run", "-d", "--name", "again", "busybox", "sh", "-c", "echo run; sleep 100"]);
    const before = docker.ok(["inspect", "-f", "{{.State.Pid}} {{.NetworkSettings.IPAddress}}", "again"]).trim().split(" ");
    expect(before[1]).toStartWith(`10.${X}.0.`);
    docker.ok(["restart", "-t", "1", "again"]);
    const after = docker.ok(["inspect", "-f", "{{.State.Pid}} {{.NetworkSettings.IPAddress}} {{.State.Status}}", "again"]).trim().split(" ");
    expect(after[0]).not.toBe(before[0]);
    expect(after.slice(1)).toEqual([before[1]!, "running"]);
    for (let i = 0; i < 100 && docker.ok(["logs", "again"]) !== "run\nrun\n"; i++) await Bun.sleep(20);
    expect(docker.ok(["logs", "again"])).toBe("run\nrun\n");
    docker.ok(["rm", "-f", "again"]);
    expect(docker.ok(["run", "--name", "once", "--network", "none", "busybox", "echo", "one"])).toBe("one\n");
    expect(docker.ok(["start", "-a", "once"])).toBe("one\n");
    expect(docker.ok(["logs", "once"])).toBe("one\none\n");
    docker.ok(["rm", "once"]);
  });

  test("missing image: 404 naming it", () => {
    const r = docker.run(["create", "--pull", "never", "--network", "none", "nosuchimage:1"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("No such image: nosuchimage:1");
  });

  test("a container directory without a record (a create killed half-way): ps -a lists it dead, rm -f removes it", () => {
    const id = "e".repeat(40) + String(process.pid).padStart(24, "0");
    mkdirSync(`${t.root}/containers/${id}`, { recursive: true });
    expect(docker.ok(["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.State}}"])).toContain(`${id} dead\n`);
    expect(docker.ok(["rm", "-f", id.slice(0, 16)]).trim()).toBe(id.slice(0, 16));
    expect(existsSync(`${t.root}/containers/${id}`)).toBe(false);
  });

  test("pause, unpause, kill, stats", () => {
    docker.ok(["run", "-d", "--network", "none", "--name", "pz", "busybox", "sleep", "100"]);
    docker.ok(["pause", "pz"]);
    expect(docker.ok(["inspect", "-f", "{{.State.Status}}", "pz"]).trim()).toBe("paused");
    docker.ok(["unpause", "pz"]);
    const stats = docker.ok(["stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "pz"]).trim();
    expect(stats).toBe("pz 1");
    docker.ok(["kill", "pz"]);
    expect(docker.ok(["wait", "pz"]).trim()).toBe("137");
    expect(docker.run(["kill", "pz"]).code).not.toBe(0);
    docker.ok(["rm", "pz"]);
  });
});

describe("the daemon is not the containers' parent", () => {
  test("kill -9 the daemon: containers run on; a new daemon serves them, with what happened meanwhile", async () => {
    docker.ok(["run", "-d", "--network", "none", "--name", "stay", "busybox", "sleep", "100"]);
    docker.ok(["run", "-d", "--network", "none", "--name", "ends", "busybox", "sh", "-c", "sleep 1; echo bye; exit 7"]);
    const pid = Number(docker.ok(["inspect", "-f", "{{.State.Pid}}", "stay"]).trim());
    const monitor = ppid(pid);
    const old = daemon.proc.pid;
    daemon.proc.kill("SIGKILL");
    await daemon.proc.exited;
    await Bun.sleep(1500);
    expect(alive(pid)).toBe(true);
    // the monitor, in a session of its own, was handed to init (or a subreaper): still the init's parent
    expect(ppid(pid)).toBe(monitor);
    expect(ppid(monitor)).not.toBe(old);
    // the socket file is left behind, as after a crash: the new daemon replaces it
    daemon = startDaemon(t.root, ["-H", `unix://${SOCK}`], ENV);
    await waitPing(SOCK, daemon);
    expect(docker.ok(["ps", "--format", "{{.Names}}"]).trim()).toBe("stay");
    expect(Number(docker.ok(["inspect", "-f", "{{.State.Pid}}", "stay"]).trim())).toBe(pid);
    for (let i = 0; i < 200 && docker.ok(["inspect", "-f", "{{.State.Status}}", "ends"]).trim() !== "exited"; i++) await Bun.sleep(20);
    expect(docker.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "ends"]).trim()).toBe("exited 7");
    expect(docker.ok(["logs", "ends"])).toBe("bye\n");
    docker.ok(["rm", "-f", "stay", "ends"]);
    expect(alive(pid)).toBe(false);
  }, 30000);
});

describe("concurrency", () => {
  test("50 parallel create+start: all succeed, names and addresses distinct", async () => {
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`http://ctr/v1.45${path}`, { unix: SOCK, method, ...(body ? { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } } : {}) });
    const N = 50;
    const results = await Promise.all(Array.from({ length: N }, async (_, i) => {
      const c = await api("POST", `/containers/create?name=par${i}`, { Image: "busybox", Cmd: ["sleep", "60"], HostConfig: { NetworkMode: "bridge" } });
      const body = (await c.json()) as { Id: string; message?: string };
      if (c.status !== 201) return { status: c.status, message: body.message };
      const s = await api("POST", `/containers/${body.Id}/start`);
      return { status: s.status, id: body.Id };
    }));
    expect(results.filter((r) => r.status !== 204)).toEqual([]);
    const list = (await (await api("GET", "/containers/json")).json()) as { Id: string; Names: string[]; State: string; NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }[];
    const mine = list.filter((c) => c.Names[0]!.startsWith("/par"));
    expect(mine.length).toBe(N);
    expect(mine.every((c) => c.State === "running")).toBe(true);
    expect(new Set(mine.map((c) => c.Names[0])).size).toBe(N);
    const ips = mine.map((c) => c.NetworkSettings.Networks.bridge?.IPAddress);
    expect(ips.every((ip) => ip?.startsWith(`10.${X}.0.`))).toBe(true);
    expect(new Set(ips).size).toBe(N);
    const rm = await Promise.all(mine.map((c) => api("DELETE", `/containers/${c.Id}?force=1`)));
    expect(rm.map((r) => r.status)).toEqual(Array(N).fill(204));
    expect(((await (await api("GET", "/containers/json?all=1")).json()) as unknown[]).length).toBe(0);
    // one name asked for five times at once: one container, four conflicts
    const same = await Promise.all(Array.from({ length: 5 }, () => api("POST", "/containers/create?name=dup", { Image: "busybox", Cmd: ["true"], HostConfig: { NetworkMode: "none" } })));
    expect(same.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    expect((await api("DELETE", "/containers/dup")).status).toBe(204);
  }, 180000);
});
