// Attempts to break out of a DEFAULT container, each of which must fail, and
// fail for the right reason: mounts, kernel modules, device nodes, keyrings,
// user namespaces and the other syscalls the seccomp profile refuses, writes
// to /proc and /sys, other processes, inherited file descriptors, the
// working directory (CVE-2024-21626) and the runtime's own binaries
// (CVE-2019-5736).
//
// Syscalls busybox cannot make go through tests/fixtures/probe.c, built
// static into a private copy of the test rootfs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CTR, ROOTFS, testRoot, uniqueName } from "./harness.ts";

const { root, ctr } = testRoot("sec");
const NONE = ["--net", "none"];
const PROBE_SRC = join(import.meta.dir, "../fixtures/probe.c");

const tmp = mkdtempSync(join(tmpdir(), "ctr-sec-"));
const RFS = join(tmp, "rootfs");
const PROBE = join(RFS, "bin/probe");
const SECRET = join(tmp, "host-secret");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  const cp = Bun.spawnSync(["cp", "-a", ROOTFS, RFS]);
  if (cp.exitCode !== 0) throw new Error(`cp -a ${ROOTFS}: ${cp.stderr}`);
  mkdirSync(join(RFS, "mnt"), { recursive: true }); // another test may have left one in the shared rootfs
  const cc = Bun.which("musl-gcc") ? "musl-gcc" : "gcc";
  const build = Bun.spawnSync([cc, "-static", "-O2", "-o", PROBE, PROBE_SRC]);
  if (build.exitCode !== 0) throw new Error(`${cc} -static probe.c: ${build.stderr}`);
  writeFileSync(SECRET, "host secret\n");
});

/** `sh -c script` in a fresh default container on the private rootfs. */
function sh(script: string, flags: string[] = []) {
  return ctr(["run", "--rm", ...NONE, ...flags, RFS, "sh", "-c", script]);
}

/** `probe ARGS...` in a fresh default container: its one line of output and exit status. */
function probe(...args: string[]) {
  const r = ctr(["run", "--rm", ...NONE, RFS, "probe", ...args]);
  return { out: r.stdout.trim(), code: r.code, stderr: r.stderr };
}

/** ctr with extra descriptors inherited at 3, 4, ...: what a careless caller hands down. */
function ctrWithFds(args: string[], fds: number[]) {
  const p = Bun.spawnSync([CTR, ...args], {
    env: { ...process.env, CTR_ROOT: root },
    stdio: ["ignore", "pipe", "pipe", ...fds],
  });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

function waitLogs(name: string, text: string) {
  for (let i = 0; i < 150 && !ctr(["logs", name]).stdout.includes(text); i++) Bun.sleepSync(20);
}

describe("the probe itself", () => {
  test("reaches the kernel when nothing stops it (on the host)", () => {
    // a sanity check that the probe's calls are real: on the host, bpf on fd -1
    // gets as far as EBADF, keyctl succeeds
    expect(Bun.spawnSync([PROBE, "bpf"]).stdout.toString().trim()).toBe("EBADF");
    expect(Bun.spawnSync([PROBE, "keyctl"]).stdout.toString().trim()).toBe("ok");
  });
});

describe("mounting", () => {
  test("mount -t tmpfs none /mnt fails", () => {
    const r = sh("mount -t tmpfs none /mnt; grep -c ' /mnt ' /proc/self/mountinfo");
    expect(r.stderr).toContain("mount: permission denied");
    expect(r.stdout).toBe("0\n");
  });

  test("the mount syscall gets EPERM", () => {
    expect(probe("mount")).toEqual({ out: "EPERM", code: 0, stderr: "" });
  });

  test("a new mount namespace (to mount in) gets EPERM too", () => {
    expect(probe("unshare_mount").out).toBe("EPERM");
  });
});

describe("/proc and /sys", () => {
  test("/proc/sysrq-trigger cannot be opened for writing", () => {
    // EROFS from the read-only bind; kernels without magic SysRq have no file at all
    expect(probe("openw", "/proc/sysrq-trigger").out).toBe(existsSync("/proc/sysrq-trigger") ? "EROFS" : "ENOENT");
  });

  test("/proc/sys, core_pattern above all, is read-only", () => {
    // those this kernel has (one built without modules has no modprobe)
    const files = ["/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe", "/proc/sys/vm/drop_caches", "/proc/sys/kernel/hostname"]
      .filter((f) => existsSync(f));
    expect(files).toContain("/proc/sys/kernel/core_pattern");
    for (const f of files) expect(`${f}: ${probe("openw", f).out}`).toBe(`${f}: EROFS`);
  });

  test("nothing under /sys can be written or created", () => {
    // files the host's root may write, where this kernel has them
    const files = ["/sys/kernel/uevent_helper", "/sys/kernel/profiling", "/sys/kernel/rcu_expedited", "/sys/kernel/mm/ksm/run",
      "/sys/kernel/mm/transparent_hugepage/enabled", "/sys/class/net/lo/mtu"].filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(`${f}: ${probe("openw", f).out}`).toBe(`${f}: EROFS`);
    const r = sh("touch /sys/x; mkdir /sys/kernel/x; echo add > /sys/class/net/lo/uevent");
    expect(r.stderr).toContain("touch: /sys/x: Read-only file system");
    expect(r.stderr).toContain("mkdir: can't create directory '/sys/kernel/x': Read-only file system");
    expect(r.stderr).toContain("/sys/class/net/lo/uevent: Read-only file system");
  });
});

describe("kernel modules", () => {
  test("insmod and modprobe fail", () => {
    const r = sh("insmod /bin/busybox; echo rc=$?; modprobe -q dummy; echo rc=$?");
    expect(r.stderr).toContain("insmod: can't insert '/bin/busybox': Operation not permitted");
    expect(r.stdout).not.toContain("rc=0");
  });

  test("init_module and finit_module get EPERM from seccomp", () => {
    expect(probe("init_module").out).toBe("EPERM");
    expect(probe("finit_module").out).toBe("EPERM");
  });
});

describe("device nodes", () => {
  // CAP_MKNOD is in Docker's default set, so mknod itself succeeds there; what
  // protects the host is that opening a node of a host device fails (EPERM,
  // from the devices cgroup in Docker). Either protection will do; neither is a bug.
  const blocks = ["8:0", ...readdirSync("/sys/dev/block")];
  const chars = ["1:11", "10:229", "10:237", "4:1", "4:64"].filter((d) => existsSync(`/sys/dev/char/${d}`));

  test("mknod /tmp/sda b 8 0: no usable node", () => {
    const r = sh("rm -f /tmp/sda; mknod /tmp/sda b 8 0 && probe open /tmp/sda; rm -f /tmp/sda");
    if (r.stderr.includes("mknod:")) expect(r.stderr).toContain("Operation not permitted");
    else expect(r.stdout).toBe("EPERM\n");
  });

  test("no host block or character device can be opened through a node made inside", () => {
    const script = [
      ...blocks.map((d, i) => `mknod /tmp/b${i} b ${d.replace(":", " ")} 2>/dev/null && echo "b ${d} $(probe open /tmp/b${i})" || echo "b ${d} mknod-refused"`),
      ...chars.map((d, i) => `mknod /tmp/c${i} c ${d.replace(":", " ")} 2>/dev/null && echo "c ${d} $(probe open /tmp/c${i})" || echo "c ${d} mknod-refused"`),
      "rm -f /tmp/b* /tmp/c*",
    ].join("; ");
    const r = sh(script);
    const seen = Object.fromEntries(r.stdout.trim().split("\n").map((l) => {
      const [type, dev, result] = l.split(" ");
      return [`${type} ${dev}`, result === "mknod-refused" ? "EPERM" : result];
    }));
    const want = Object.fromEntries([...blocks.map((d) => [`b ${d}`, "EPERM"]), ...chars.map((d) => [`c ${d}`, "EPERM"])]);
    expect(seen).toEqual(want);
  });

  test("the same through the probe: mknod of loop0 and open", () => {
    expect(probe("mknod_open").out).toBe("EPERM");
  });
});

describe("syscalls the seccomp profile refuses", () => {
  for (const call of ["keyctl", "add_key", "open_by_handle_at", "unshare_user", "unshare_net", "kexec_load", "bpf", "perf_event_open"]) {
    test(`${call}: EPERM`, () => {
      expect(probe(call)).toEqual({ out: "EPERM", code: 0, stderr: "" });
    });
  }

  test("the same calls go through with seccomp=unconfined (so the profile is what stops them)", () => {
    // keyctl and add_key need no capability: only the profile refuses them
    const r = ctr(["run", "--rm", ...NONE, "--security-opt", "seccomp=unconfined", RFS, "sh", "-c", "probe keyctl; probe add_key"]);
    expect(r.stdout).toBe("ok\nok\n");
  });
});

describe("other processes", () => {
  test("/proc lists only the container's processes", () => {
    const name = uniqueName("procs");
    ctr(["run", "-d", ...NONE, "--name", name, RFS, "sh", "-c", "sleep 1000 & exec sleep 1001"]);
    const r = ctr(["exec", name, "sh", "-c", "for p in /proc/[0-9]*; do echo ${p#/proc/} $(tr '\\0' ' ' < $p/cmdline); done; kill -0 " + process.pid + " || echo no-such-pid"]);
    const rows = r.stdout.trim().split("\n");
    expect(rows.at(-1)).toBe("no-such-pid");
    const procs = rows.slice(0, -1).map((l) => l.replace(/ +$/, ""));
    expect(procs).toContain("1 sleep 1001");
    expect(procs.filter((p) => /^\d+ sleep 1000$/.test(p))).toHaveLength(1);
    // the rest is the exec'd shell and its children; nothing else, no host pid
    for (const p of procs) expect(p).toMatch(/^\d+ (sleep 100[01]|sh -c .*|tr .*|)$/);
    for (const p of procs) expect(Number(p.split(" ")[0])).toBeLessThan(20);
    ctr(["rm", "-f", name]);
  });
});

describe("inherited file descriptors (CVE-2024-21626 class)", () => {
  // what a descriptor inside may point at: the standard streams and a lister's own directory
  // (or nothing: a shell's short-lived descriptor gone before readlink got to it)
  const harmless = /^(\/dev\/null|pipe:\[\d+\]|\/proc\/\d+\/fd|)$/;

  test("a process sees only 0, 1, 2 (and the fd ls itself opened)", () => {
    // ls as the init, no shell in between: 3 is its own directory fd
    const r = sh("exec ls -l /proc/self/fd");
    const fds = r.stdout.trim().split("\n").slice(1).map((l) => l.split(/\s+/)[8]);
    expect(fds).toEqual(["0", "1", "2", "3"]);
    // stdin is the monitor's empty pipe (never the host's /dev/null: CRIU could not dump it)
    expect(r.stdout).toMatch(/ 0 -> pipe:\[\d+\]\n/);
    expect(r.stdout).toMatch(/ 1 -> pipe:\[\d+\]\n/);
    expect(r.stdout).toMatch(/ 2 -> pipe:\[\d+\]\n/);
    expect(r.stdout).not.toMatch(/ 3 -> \/(?!proc\/)/);
  });

  test("descriptors the caller of ctr holds open do not reach an attached container", () => {
    const file = openSync(SECRET, "r");
    const dir = openSync("/", "r");
    try {
      const fds = [file, dir, file, dir, file, dir, file, dir, file, dir];
      const own = ctrWithFds(["run", "--rm", ...NONE, RFS, "ls", "/proc/self/fd"], fds);
      expect(own.stdout).toBe("0\n1\n2\n3\n");
      // every descriptor of every process inside, by what it points at
      const r = ctrWithFds(["run", "--rm", ...NONE, RFS, "sh", "-c", "for f in /proc/[0-9]*/fd/*; do echo $f $(readlink $f); done"], fds);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain(tmp);
      for (const l of r.stdout.trim().split("\n")) {
        const [fd, target = ""] = l.split(" ");
        expect(`${fd} ${harmless.test(target) ? "ok" : target}`).toBe(`${fd} ok`);
      }
    } finally {
      closeSync(file);
      closeSync(dir);
    }
  });

  test("nor a detached container's init, its monitor, or an exec'd process", () => {
    const file = openSync(SECRET, "r");
    const dir = openSync("/", "r");
    const name = uniqueName("fds");
    try {
      const fds = [file, dir, file, dir, file, dir, file, dir];
      expect(ctrWithFds(["run", "-d", ...NONE, "--name", name, RFS, "sleep", "1000"], fds).code).toBe(0);
      const pid = Number(ctr(["inspect", "-f", "{{.State.Pid}}", name]).stdout);
      expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(["0", "1", "2"]);
      expect(ctr(["exec", name, "ls", "/proc/1/fd"]).stdout).toBe("0\n1\n2\n");
      const monitor = Number(/^PPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
      for (const p of [pid, monitor]) {
        for (const fd of readdirSync(`/proc/${p}/fd`)) {
          let target = "";
          try {
            target = readlinkSync(`/proc/${p}/fd/${fd}`);
          } catch {}
          expect(target).not.toBe(SECRET);
          expect(target).not.toBe("/");
        }
      }
      expect(ctrWithFds(["exec", name, "ls", "/proc/self/fd"], fds).stdout).toBe("0\n1\n2\n3\n");
    } finally {
      closeSync(file);
      closeSync(dir);
      ctr(["rm", "-f", name]);
    }
  });

  test("-w /proc/self/fd/N never lands outside the rootfs (run and exec)", () => {
    const dir = openSync("/", "r");
    const name = uniqueName("cwd");
    const escaped = (out: string) => !out.includes(".ready") || /\bwork\b/.test(out);
    try {
      const fds = [dir, dir, dir, dir, dir, dir, dir, dir, dir, dir];
      // the fixture's /.ready marks the rootfs's top; the host's / has /work
      const look = "cd ../../..; ls -a | tr '\\n' ' '";
      for (let n = 3; n <= 14; n++) {
        const r = ctrWithFds(["run", "--rm", ...NONE, "-w", `/proc/self/fd/${n}`, RFS, "sh", "-c", look], fds);
        if (r.code === 0) expect(`fd ${n}: ${escaped(r.stdout) ? r.stdout : "inside"}`).toBe(`fd ${n}: inside`);
        else expect(r.stderr).toContain("chdir to cwd");
      }
      ctrWithFds(["run", "-d", ...NONE, "--name", name, RFS, "sleep", "1000"], fds);
      for (let n = 3; n <= 14; n++) {
        const r = ctrWithFds(["exec", "-w", `/proc/self/fd/${n}`, name, "sh", "-c", look], fds);
        if (r.code === 0) expect(`fd ${n}: ${escaped(r.stdout) ? r.stdout : "inside"}`).toBe(`fd ${n}: inside`);
        else expect(r.stderr).toContain("chdir to cwd");
      }
    } finally {
      closeSync(dir);
      ctr(["rm", "-f", name]);
    }
  });

  test("/proc/self/cwd and /proc/1/cwd stay inside", () => {
    const r = sh("readlink /proc/self/cwd; readlink /proc/1/cwd; cd /proc/1/cwd/../../..; pwd -P; ls -a | tr '\\n' ' '", ["-w", "/home/user"]);
    const [self, init, pwd, ls] = r.stdout.trim().split("\n");
    expect(self).toBe("/home/user");
    expect(init).toBe("/home/user");
    expect(pwd).toBe("/");
    expect(ls).toContain(".ready");
    expect(ls).not.toMatch(/\bwork\b/);
  });
});

describe("the runtime's binaries (CVE-2019-5736 class)", () => {
  const sha = (p: string) => new Bun.CryptoHasher("sha256").update(readFileSync(p)).digest("hex");

  test("inside, every process is the container's own binary, and that binary cannot be rewritten while it runs", () => {
    const r = sh("readlink /proc/1/exe; for p in /proc/[0-9]*; do readlink $p/exe; done | sort -u | tr '\\n' ' '; echo; probe openw /proc/self/exe; probe openw /proc/1/exe; echo x >> /proc/self/exe; echo end");
    const [init, all, selfExe, initExe] = r.stdout.trim().split("\n");
    expect(init).toBe("/bin/busybox");
    expect(all!.trim().split(" ").every((e) => e === "/bin/busybox" || e === "/bin/probe")).toBe(true);
    expect(selfExe).toBe("ETXTBSY");
    expect(initExe).toBe("ETXTBSY");
    expect(r.stderr).toContain("/proc/self/exe: Text file busy");
  });

  test("the monitor is outside the container, runs from a sealed memfd, and cannot be overwritten", () => {
    const before = sha(CTR);
    const name = uniqueName("mon");
    ctr(["run", "-d", ...NONE, "--name", name, RFS, "sleep", "1000"]);
    try {
      const pid = Number(ctr(["inspect", "-f", "{{.State.Pid}}", name]).stdout);
      const monitor = Number(/^PPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
      const exe = readlinkSync(`/proc/${monitor}/exe`);
      expect(exe).toBe("/memfd:ctr-executor (deleted)");
      expect(exe).not.toBe(CTR);
      // F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
      expect(Bun.spawnSync([PROBE, "seals", `/proc/${monitor}/exe`]).stdout.toString()).toBe("f\n");
      expect(Bun.spawnSync([PROBE, "openw", `/proc/${monitor}/exe`]).stdout.toString()).toBe("ETXTBSY\n");
      // not in the container's pid namespace: nothing inside sees it
      const inside = ctr(["exec", name, "sh", "-c", "for p in /proc/[0-9]*; do readlink $p/exe; done"]).stdout;
      expect(inside).not.toContain("memfd");
      expect(inside).not.toContain("ctr");
      expect(readlinkSync(`/proc/${monitor}/ns/pid`)).not.toBe(readlinkSync(`/proc/${pid}/ns/pid`));
    } finally {
      ctr(["rm", "-f", name]);
    }
    expect(sha(CTR)).toBe(before);
  });

  test("a process joining by exec cannot be inspected from inside before it becomes the container's", () => {
    // a watcher inside looks at every process's exe while the host runs execs:
    // it must never see the executor (or anything but the container's binaries)
    const name = uniqueName("race");
    ctr(["run", "-d", ...NONE, "--name", name, RFS, "sh", "-c",
      "echo watching; while :; do for p in /proc/[0-9]*; do l=$(readlink $p/exe 2>/dev/null); case \"$l\" in ''|/bin/busybox) ;; *) echo \"SEEN $l\";; esac; done; done"]);
    try {
      waitLogs(name, "watching");
      for (let i = 0; i < 15; i++) expect(ctr(["exec", name, "true"]).code).toBe(0);
      expect(ctr(["logs", name]).stdout).toBe("watching\n");
    } finally {
      ctr(["rm", "-f", name]);
    }
  });
});
