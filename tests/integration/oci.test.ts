// The OCI life cycle (create, start, state, kill, delete) through `ctr oci`,
// side by side with runc on the same bundle: the state fields, the exit
// statuses and the errors must agree. Each runtime gets a root of its own.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { CTR, join, leftoverCgroups, ROOTFS } from "./harness.ts";

const dir = `/tmp/ctr-oci-test-${process.pid}`;
const roots = { ctr: `/run/ctr-test-oci-${process.pid}`, runc: `${dir}/runc-root` };
mkdirSync(dir, { recursive: true });
const RUNC = Bun.which("runc");
if (!RUNC) throw new Error("runc is missing: apt-get install runc (the OCI tests compare ctr with it)");

/** A bundle from what `runc spec` writes, with the busybox rootfs and no tty. */
function bundle(name: string, args: string[], edit: (c: any) => void = () => {}): string {
  const b = join(dir, name);
  mkdirSync(b, { recursive: true });
  Bun.spawnSync([RUNC!, "spec"], { cwd: b });
  const c = JSON.parse(readFileSync(join(b, "config.json"), "utf8"));
  c.root = { path: ROOTFS, readonly: true };
  c.process.terminal = false;
  c.process.args = args;
  c.annotations = { "org.example.test": "oci" };
  edit(c);
  writeFileSync(join(b, "config.json"), JSON.stringify(c, null, 2));
  return b;
}

type Runtime = "ctr" | "runc";
let calls = 0;
interface R {
  code: number;
  stdout: string;
  stderr: string;
}
function rt(which: Runtime, args: string[]): R {
  const argv = which === "ctr" ? [CTR, "oci", "--root", roots.ctr, ...args] : [RUNC!, "--root", roots.runc, ...args];
  // stdio to files: the container's init keeps what it inherits
  const out = join(dir, `${which}-${++calls}.out`);
  const p = Bun.spawnSync(argv, { stdin: "ignore", stdout: Bun.file(out), stderr: Bun.file(`${out}.err`) });
  return { code: p.exitCode ?? -1, stdout: readFileSync(out, "utf8"), stderr: readFileSync(`${out}.err`, "utf8") };
}
const state = (which: Runtime, id: string) => JSON.parse(rt(which, ["state", id]).stdout);
const msg = (r: R) => /msg="([^"]*)"/.exec(r.stderr)?.[1] ?? r.stderr.trim();

async function until(f: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await Bun.sleep(20);
}

afterAll(() => {
  for (const which of ["ctr", "runc"] as const) {
    const ids = rt(which, ["list", "-q"]).stdout.split("\n").filter(Boolean);
    for (const id of ids) rt(which, ["delete", "--force", id]);
  }
  rmSync(roots.ctr, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  // the hooks' bind mounts made their mount points in the shared busybox rootfs
  rmSync(join(ROOTFS, dir), { recursive: true, force: true });
});

describe("create, start, state, kill, delete: ctr as runc", () => {
  setDefaultTimeout(20000);
  const b = bundle("life", ["sleep", "100"]);
  const id = (w: Runtime) => `oci-life-${w}-${process.pid}`;

  test("create: the init waits; state says created, with the pid in --pid-file", () => {
    for (const w of ["ctr", "runc"] as const) {
      const pidFile = join(dir, `${w}.pid`);
      const r = rt(w, ["create", "--bundle", b, "--pid-file", pidFile, id(w)]);
      expect({ w, code: r.code, err: r.stderr }).toEqual({ w, code: 0, err: "" });
      const s = state(w, id(w));
      expect(s.status).toBe("created");
      expect(s.pid).toBe(Number(readFileSync(pidFile, "utf8")));
      expect(s.bundle).toBe(b);
      expect(s.id).toBe(id(w));
    }
    const [c, r] = [state("ctr", id("ctr")), state("runc", id("runc"))];
    expect(Object.keys(c).sort()).toEqual(Object.keys(r).sort());
    expect(c.rootfs).toBe(r.rootfs);
    expect(c.ociVersion.split(".")[0]).toBe(r.ociVersion.split(".")[0]);
    expect(c.annotations).toEqual({ "org.example.test": "oci" });
    // the init sits in its own namespaces, in both
    for (const w of ["ctr", "runc"] as const) {
      const pid = state(w, id(w)).pid;
      expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").length).toBeGreaterThan(0);
    }
  });

  test("start: running, and the process is the bundle's", () => {
    for (const w of ["ctr", "runc"] as const) {
      expect(rt(w, ["start", id(w)]).code).toBe(0);
      const s = state(w, id(w));
      expect(s.status).toBe("running");
      expect(readFileSync(`/proc/${s.pid}/cmdline`, "utf8").split("\0")[0]).toBe("sleep");
    }
  });

  test("the same errors for start, delete of a running container, and the same list", () => {
    const errs = (w: Runtime) => [rt(w, ["start", id(w)]), rt(w, ["delete", id(w)])].map((r) => [r.code, msg(r).replace(id(w), "ID")]);
    expect(errs("ctr")).toEqual(errs("runc"));
    expect(rt("ctr", ["list", "-q"]).stdout.trim()).toBe(id("ctr"));
    expect(JSON.parse(rt("ctr", ["list", "--format", "json"]).stdout)[0].status).toBe("running");
  });

  test("kill: stopped with pid 0; kill and start again fail alike; delete removes it all", async () => {
    const pidsCgroup = (pid: number) => /^\d+:pids:(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, "utf8"))?.[1];
    const ctrCgroup = pidsCgroup(state("ctr", id("ctr")).pid);
    for (const w of ["ctr", "runc"] as const) {
      const pid = state(w, id(w)).pid;
      expect(rt(w, ["kill", id(w), "KILL"]).code).toBe(0);
      await until(() => state(w, id(w)).status === "stopped");
      const s = state(w, id(w));
      expect({ w, status: s.status, pid: s.pid }).toEqual({ w, status: "stopped", pid: 0 });
      // the init is reaped by whatever reaps for the caller (conmon, the shim; here the host), as with runc
      if (w === "ctr") {
        await until(() => !existsSync(`/proc/${pid}`));
        expect(existsSync(`/proc/${pid}`)).toBe(false);
      }
    }
    const errs = (w: Runtime) => [rt(w, ["kill", id(w), "KILL"]), rt(w, ["start", id(w)])].map((r) => [r.code, msg(r)]);
    expect(errs("ctr")).toEqual(errs("runc"));
    for (const w of ["ctr", "runc"] as const) expect(rt(w, ["delete", id(w)]).code).toBe(0);
    expect(rt("ctr", ["list", "-q"]).stdout).toBe("");
    if (ctrCgroup) expect(existsSync(`/sys/fs/cgroup/pids${ctrCgroup}`)).toBe(false);
    expect(leftoverCgroups(id("ctr"))).toEqual([]);
  });
});

describe("errors, as runc gives them", () => {
  test("a missing container: state, kill, delete, start exit 1 with 'container does not exist'; delete --force is quiet", () => {
    for (const cmd of [["state"], ["kill"], ["delete"], ["start"]]) {
      const [c, r] = [rt("ctr", [...cmd, "nope"]), rt("runc", [...cmd, "nope"])];
      expect({ cmd, code: c.code, msg: msg(c) }).toEqual({ cmd, code: r.code, msg: msg(r) });
      expect(msg(c)).toBe("container does not exist");
    }
    const [c, r] = [rt("ctr", ["delete", "--force", "nope"]), rt("runc", ["delete", "--force", "nope"])];
    expect([c.code, c.stderr]).toEqual([r.code, r.stderr]);
  });

  test("a bundle that is not there, or whose config.json is not JSON: exit 1, nothing left", () => {
    const bad = join(dir, "bad");
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, "config.json"), "{");
    for (const b of [join(dir, "missing"), bad]) {
      const [c, r] = [rt("ctr", ["create", "--bundle", b, "bad1"]), rt("runc", ["create", "--bundle", b, "bad1"])];
      expect({ b, code: c.code }).toEqual({ b, code: r.code });
      expect(c.code).toBe(1);
      expect(msg(c).length).toBeGreaterThan(0);
    }
    expect(msg(rt("ctr", ["create", "--bundle", join(dir, "missing"), "bad1"]))).toContain("chdir");
    expect(rt("ctr", ["list", "-q"]).stdout).toBe("");
  });

  test("--log with --log-format json: the error as a JSON line in the log, the bare message on stderr", () => {
    const log = join(dir, "log.json");
    const p = Bun.spawnSync([CTR, "oci", "--root", roots.ctr, "--log", log, "--log-format", "json", "state", "nope"]);
    expect(p.exitCode).toBe(1);
    expect(p.stderr.toString()).toBe("container does not exist\n");
    const line = JSON.parse(readFileSync(log, "utf8").trim());
    expect(line.level).toBe("error");
    expect(line.msg).toBe("container does not exist");
  });

  test("--systemd-cgroup is refused plainly", () => {
    const p = Bun.spawnSync([CTR, "oci", "--root", roots.ctr, "--systemd-cgroup", "list"]);
    expect(p.exitCode).toBe(1);
    expect(p.stderr.toString()).toContain("cgroupfs");
  });
});

describe("invoked as runc", () => {
  test("a symlink named runc gets runc's commands at the top level; so does --runc-compat", () => {
    const link = join(dir, "runc");
    symlinkSync(CTR, link);
    const p = Bun.spawnSync([link, "--root", roots.ctr, "list", "--format", "json"]);
    expect([p.exitCode, p.stdout.toString().trim()]).toEqual([0, "null"]);
    const q = Bun.spawnSync([CTR, "--runc-compat", "--root", roots.ctr, "state", "nope"]);
    expect(q.exitCode).toBe(1);
    expect(q.stderr.toString()).toContain("container does not exist");
  });
});

describe("what the bundle says is what the container gets", () => {
  test("exit status, env as given, hostname, the bundle's masked paths and a bind mount", async () => {
    const data = join(dir, "data");
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, "f"), "from the host");
    const script = "echo $FOO $(hostname) $(cat /tmp/f); env | grep -c HOSTNAME; cat /proc/kcore | wc -c; exit 7";
    const b = bundle("probe", ["sh", "-c", script], (c) => {
      c.process.env.push("FOO=bar");
      c.hostname = "ocihost";
      // onto a directory the fixture has: a mount point made here would be made in the shared rootfs
      c.mounts.push({ destination: "/tmp", type: "bind", source: data, options: ["rbind", "ro"] });
    });
    const outs: Record<string, string> = {};
    for (const w of ["ctr", "runc"] as const) {
      const i = `oci-probe-${w}-${process.pid}`;
      const out = join(dir, `probe-${w}.out`);
      const argv = w === "ctr" ? [CTR, "oci", "--root", roots.ctr] : [RUNC!, "--root", roots.runc];
      const p = Bun.spawnSync([...argv, "create", "--bundle", b, i], { stdin: "ignore", stdout: Bun.file(out), stderr: Bun.file(`${out}.err`) });
      expect({ w, code: p.exitCode }).toEqual({ w, code: 0 });
      expect(rt(w, ["start", i]).code).toBe(0);
      await until(() => state(w, i).status === "stopped");
      // the output arrives through the runtime's own stdout, as containerd and conmon read it
      await until(() => readFileSync(out, "utf8").split("\n").length >= 4);
      outs[w] = readFileSync(out, "utf8");
      expect(rt(w, ["delete", i]).code).toBe(0);
    }
    expect(outs.ctr).toBe("bar ocihost from the host\n0\n0\n");
    expect(outs.ctr).toBe(outs.runc!);
  });
});

const KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];

describe("hooks", () => {
  test("all six kinds run with the state on stdin, as runc runs them; createContainer and startContainer inside the container", async () => {
    const states: Record<string, Record<string, any>> = {};
    for (const w of ["ctr", "runc"] as const) {
      const out = join(dir, `hooks-${w}`);
      mkdirSync(out, { recursive: true });
      const hook = (kind: string) => ({ path: "/bin/sh", args: ["sh", "-c", `cat > ${out}/${kind}; echo "$HOOKENV" > ${out}/${kind}.env`], env: ["HOOKENV=yes"] });
      const b = bundle(`hooks-${w}`, ["sleep", "100"], (c) => {
        c.hooks = Object.fromEntries(KINDS.map((k) => [k, [hook(k)]]));
        // startContainer runs after pivot_root: its path and its output are the container's
        c.mounts.push({ destination: out, type: "bind", source: out, options: ["rbind", "rw"] });
      });
      const i = `oci-hooks-${w}-${process.pid}`;
      expect(rt(w, ["create", "--bundle", b, i]).code).toBe(0);
      expect(rt(w, ["start", i]).code).toBe(0);
      expect(rt(w, ["kill", i, "KILL"]).code).toBe(0);
      await until(() => state(w, i).status === "stopped");
      expect(rt(w, ["delete", i]).code).toBe(0);
      states[w] = Object.fromEntries(
        KINDS.map((k) => {
          const s = JSON.parse(readFileSync(join(out, k), "utf8"));
          return [k, { status: s.status, id: s.id === i, pid: s.pid > 0, bundle: s.bundle === b, env: readFileSync(join(out, `${k}.env`), "utf8").trim() }];
        }),
      );
    }
    expect(states.ctr).toEqual(states.runc!);
    // runc's states: "creating" before start, "created" to poststart
    expect(states.ctr!.createRuntime!.status).toBe("creating");
    expect(states.ctr!.createContainer!.status).toBe("creating");
    expect(Object.keys(states.ctr!)).toHaveLength(6);
  });

  test("a startContainer hook runs only at `start`; a failing createContainer hook fails create and leaves nothing", async () => {
    const out = join(dir, "hooks-start");
    mkdirSync(out, { recursive: true });
    const b = bundle("hookstart", ["sleep", "100"], (c) => {
      c.hooks = { startContainer: [{ path: "/bin/sh", args: ["sh", "-c", `echo $$ > ${out}/started`] }] };
      c.mounts.push({ destination: out, type: "bind", source: out, options: ["rbind", "rw"] });
    });
    const i = `oci-hookstart-${process.pid}`;
    expect(rt("ctr", ["create", "--bundle", b, i]).code).toBe(0);
    await Bun.sleep(100);
    expect(existsSync(join(out, "started"))).toBe(false);
    expect(rt("ctr", ["start", i]).code).toBe(0);
    await until(() => existsSync(join(out, "started")));
    // a pid of the container's own pid namespace: the hook ran inside it
    expect(Number(readFileSync(join(out, "started"), "utf8"))).toBeLessThan(10);
    expect(state("ctr", i).status).toBe("running");
    expect(rt("ctr", ["delete", "--force", i]).code).toBe(0);

    const bad = bundle("hookcc", ["true"], (c) => {
      c.hooks = { createContainer: [{ path: "/bin/sh", args: ["sh", "-c", "exit 4"] }, { path: "/bin/sh", args: ["sh", "-c", "sleep 30"], timeout: 1 }] };
    });
    const r = rt("ctr", ["create", "--bundle", bad, "hookcc"]);
    expect(r.code).toBe(1);
    expect(msg(r)).toContain("error running createContainer hook #0: /bin/sh: exit status 4");
    expect(rt("ctr", ["list", "-q"]).stdout).toBe("");
    const slow = bundle("hookslow", ["true"], (c) => {
      c.hooks = { createContainer: [{ path: "/bin/sh", args: ["sh", "-c", "sleep 30"], timeout: 1 }] };
    });
    const t0 = Date.now();
    const r2 = rt("ctr", ["create", "--bundle", slow, "hookslow"]);
    expect(r2.code).toBe(1);
    expect(msg(r2)).toContain("error running createContainer hook #0: /bin/sh: timeout");
    expect(Date.now() - t0).toBeLessThan(20000);
    expect(rt("ctr", ["list", "-q"]).stdout).toBe("");
  });

  test("a failing createRuntime hook fails create (exit 1) and leaves nothing", () => {
    const b = bundle("hookfail", ["true"], (c) => {
      c.hooks = { createRuntime: [{ path: "/bin/sh", args: ["sh", "-c", "echo nope >&2; exit 3"] }] };
    });
    const r = rt("ctr", ["create", "--bundle", b, "hookfail"]);
    expect(r.code).toBe(1);
    expect(msg(r)).toContain("exit status 3");
    expect(msg(r)).toContain("nope");
    expect(rt("ctr", ["list", "-q"]).stdout).toBe("");
  });
});

describe("update", () => {
  test("--resources JSON and runc's flags reach the running container's cgroup", () => {
    const b = bundle("update", ["sleep", "100"]);
    const i = `oci-update-${process.pid}`;
    expect(rt("ctr", ["create", "--bundle", b, i]).code).toBe(0);
    expect(rt("ctr", ["start", i]).code).toBe(0);
    const pid = state("ctr", i).pid;
    // v1: one hierarchy per controller; v2 ("0::/path"): one directory, other file names
    const lines = [...readFileSync(`/proc/${pid}/cgroup`, "utf8").matchAll(/^\d+:([^:]*):(.*)$/gm)];
    const v1 = (ctl: string) => lines.find((m) => m[1]!.split(",").includes(ctl));
    const v2 = lines.find((m) => m[1] === "");
    const file = (ctl: string, f1: string, f2: string) =>
      v1(ctl) ? `/sys/fs/cgroup/${v1(ctl)![1]}${v1(ctl)![2]}/${f1}` : `/sys/fs/cgroup${v2![2]}/${f2}`;
    const res = join(dir, "resources.json");
    writeFileSync(res, JSON.stringify({ memory: { limit: 64 << 20 }, pids: { limit: 50 } }));
    expect(rt("ctr", ["update", "--resources", res, i]).code).toBe(0);
    expect(readFileSync(file("memory", "memory.limit_in_bytes", "memory.max"), "utf8").trim()).toBe(String(64 << 20));
    expect(readFileSync(file("pids", "pids.max", "pids.max"), "utf8").trim()).toBe("50");
    expect(rt("ctr", ["update", "--pids-limit", "60", "--cpu-shares", "512", i]).code).toBe(0);
    expect(readFileSync(file("pids", "pids.max", "pids.max"), "utf8").trim()).toBe("60");
    if (v1("cpu")) expect(readFileSync(file("cpu", "cpu.shares", ""), "utf8").trim()).toBe("512");
    expect(rt("ctr", ["delete", "--force", i]).code).toBe(0);
    expect(msg(rt("ctr", ["update", "--pids-limit", "1", i]))).toBe("container does not exist");
  });
});

/** create + start + wait of a bundle whose output ends with "devnull"; what it printed */
async function outputOf(w: Runtime, b: string, tag: string): Promise<string> {
  const i = `oci-${tag}-${w}-${process.pid}`;
  const out = join(dir, `${tag}-${w}.out`);
  const argv = w === "ctr" ? [CTR, "oci", "--root", roots.ctr] : [RUNC!, "--root", roots.runc];
  const p = Bun.spawnSync([...argv, "create", "--bundle", b, i], { stdin: "ignore", stdout: Bun.file(out), stderr: Bun.file(`${out}.err`) });
  expect({ w, code: p.exitCode, err: readFileSync(`${out}.err`, "utf8") }).toEqual({ w, code: 0, err: "" });
  expect(rt(w, ["start", i]).code).toBe(0);
  await until(() => state(w, i).status === "stopped");
  await until(() => readFileSync(out, "utf8").includes("devnull"));
  expect(rt(w, ["delete", i]).code).toBe(0);
  return readFileSync(out, "utf8");
}

describe("user namespace from config.json", () => {
  test("uidMappings/gidMappings: the same maps, ids and view of the rootfs as runc gives", async () => {
    const b = bundle("userns", ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id; ls -ln /bin/busybox | cut -c1-30; echo x > /dev/null && echo devnull"], (c) => {
      c.linux.namespaces.push({ type: "user" });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    const outs = { ctr: await outputOf("ctr", b, "userns"), runc: await outputOf("runc", b, "userns") };
    expect(outs.ctr).toContain("100000");
    expect(outs.ctr).toBe(outs.runc!);
  });

  test("a user namespace given by path is joined (as a pod's containers share one), the same as with runc", async () => {
    const mapped = (c: any) => {
      c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    };
    const holder = bundle("userns-holder", ["sleep", "100"], (c) => {
      c.linux.namespaces.push({ type: "user" });
      mapped(c);
    });
    const h = `oci-usernsholder-${process.pid}`;
    expect(rt("ctr", ["create", "--bundle", holder, h]).code).toBe(0);
    const pid = state("ctr", h).pid;
    const holderNs = readlinkSync(`/proc/${pid}/ns/user`);
    const script = "cat /proc/self/uid_map; id -u; readlink /proc/self/ns/user; echo x > /dev/null && echo devnull";
    const b = bundle("userns-join", ["sh", "-c", script], (c) => {
      c.linux.namespaces.push({ type: "user", path: `/proc/${pid}/ns/user` });
      mapped(c);
    });
    const outs = { ctr: await outputOf("ctr", b, "usernsjoin"), runc: await outputOf("runc", b, "usernsjoin") };
    expect(rt("ctr", ["delete", "--force", h]).code).toBe(0);
    // the holder's namespace with its maps, and root inside it; /dev works without mknod
    expect(outs.ctr).toBe(`         0     200000      65536\n0\n${holderNs}\ndevnull\n`);
    expect(outs.ctr).toBe(outs.runc);
  });
});

describe("--preserve-fds", () => {
  test("the runtime's fds 3.. are the container's 3.., nothing else, as with runc", async () => {
    const b = bundle("preserve", ["sh", "-c", "echo to3 >&3; echo to4 >&4; ls /proc/self/fd | tr '\\n' ' '"]);
    const seen: Record<string, string[]> = {};
    for (const w of ["ctr", "runc"] as const) {
      const i = `oci-fds-${w}-${process.pid}`;
      const out = join(dir, `fds-${w}.out`);
      const [f3, f4] = [openSync(join(dir, `fds-${w}.3`), "w"), openSync(join(dir, `fds-${w}.4`), "w")];
      const argv = w === "ctr" ? [CTR, "oci", "--root", roots.ctr] : [RUNC!, "--root", roots.runc];
      const p = Bun.spawnSync([...argv, "create", "--preserve-fds", "2", "--bundle", b, i], { stdio: ["ignore", Bun.file(out), Bun.file(`${out}.err`), f3, f4] as any });
      closeSync(f3);
      closeSync(f4);
      expect({ w, code: p.exitCode, err: readFileSync(`${out}.err`, "utf8") }).toEqual({ w, code: 0, err: "" });
      expect(rt(w, ["start", i]).code).toBe(0);
      await until(() => state(w, i).status === "stopped");
      await until(() => readFileSync(out, "utf8").length > 0);
      seen[w] = [readFileSync(out, "utf8"), readFileSync(join(dir, `fds-${w}.3`), "utf8"), readFileSync(join(dir, `fds-${w}.4`), "utf8")];
      expect(rt(w, ["delete", i]).code).toBe(0);
    }
    expect(seen.ctr).toEqual(["0 1 2 3 4 5 ", "to3\n", "to4\n"]);
    expect(seen.ctr).toEqual(seen.runc!);
  });
});

test("ctr as runc keeps no event journal in the caller's root (containerd and Podman keep their own events)", () => {
  expect(existsSync(roots.ctr)).toBe(true);
  expect(existsSync(join(roots.ctr, "events.log"))).toBe(false);
});
