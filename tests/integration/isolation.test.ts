// What a container is shut off from, checked from inside a real one: its own
// PID, mount, UTS, IPC, cgroup and network namespaces, a minimal /dev, a
// read-only /sys with Docker's masked and read-only paths, and the process
// settings (user, groups, capabilities, no_new_privs, seccomp, rlimits,
// mounts). `exec` must land in all of it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { hostname as hostHostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ROOTFS, testRoot, uniqueName } from "./harness.ts";

const { ctr } = testRoot("iso");
const NONE = ["--net", "none"];

/** `sh -c script` in a fresh container; flags go before the rootfs. */
function sh(script: string, flags: string[] = []) {
  return ctr(["run", "--rm", ...NONE, ...flags, ROOTFS, "sh", "-c", script]);
}

/** The effective capability mask of the shell, as /proc/self/status prints it. */
const capEff = (out: string) => /CapEff:\s*([0-9a-f]+)/.exec(out)?.[1];

/** mount points (5th field) and major:minor (3rd) of a mountinfo text */
function mountinfo(text: string) {
  return text.trim().split("\n").map((l) => {
    const f = l.split(" ");
    return { dev: f[2]!, root: f[3]!, point: f[4]!, fstype: f[f.indexOf("-") + 1]! };
  });
}

const tmp = mkdtempSync(join(tmpdir(), "ctr-iso-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("PID namespace", () => {
  test("the command is PID 1 and ps shows only the container's processes", () => {
    // (not the last command: sh would exec it, and ps would be PID 1 itself)
    const r = sh("echo $$; ps -o pid,comm; true");
    expect(r.code).toBe(0);
    const [pid, , ...rows] = r.stdout.trim().split("\n");
    expect(pid).toBe("1");
    // sh itself and the ps it forked: nothing of the host
    expect(rows.map((l) => l.trim().split(/\s+/)[0])).toEqual(["1", "2"]);
  });

  test("/proc is a fresh procfs: only container pids, none of the host's", () => {
    const r = sh(`ls /proc | grep '^[0-9]*$' | sort -n | tr '\\n' ' '; echo; test -e /proc/${process.pid} && echo host-pid-visible; cat /proc/self/mountinfo`);
    expect(r.code).toBe(0);
    const [pids, ...rest] = r.stdout.split("\n");
    // sh (1), the ls/grep/sort/tr pipeline: a handful of small pids
    const list = pids!.trim().split(" ").map(Number);
    expect(list[0]).toBe(1);
    expect(Math.max(...list)).toBeLessThan(10);
    expect(r.stdout).not.toContain("host-pid-visible");
    // its own proc instance, not the host's bound in
    const inside = mountinfo(rest.join("\n")).find((m) => m.point === "/proc")!;
    const host = mountinfo(readFileSync("/proc/self/mountinfo", "utf8")).find((m) => m.point === "/proc")!;
    expect(inside.fstype).toBe("proc");
    expect(inside.root).toBe("/");
    expect(inside.dev).not.toBe(host.dev);
  });

  test("the init's pid namespace is not the host's", () => {
    const r = sh("readlink /proc/self/ns/pid");
    expect(r.stdout.trim()).toMatch(/^pid:\[\d+\]$/);
    expect(r.stdout.trim()).not.toBe(readlinkSync("/proc/self/ns/pid"));
  });
});

describe("mount namespace", () => {
  test("pivot_root, not chroot: no host mount point is visible inside", () => {
    const r = sh("cat /proc/self/mountinfo; echo ---; readlink /proc/self/ns/mnt");
    expect(r.code).toBe(0);
    const [info, ns] = r.stdout.split("---\n");
    const points = mountinfo(info!).map((m) => m.point);
    // one root, and everything else under /proc, /dev or /sys
    expect(points.filter((p) => p === "/")).toHaveLength(1);
    for (const p of points) expect(p === "/" || /^\/(proc|dev|sys)(\/|$)/.test(p)).toBe(true);
    expect(points).toContain("/proc");
    expect(points).toContain("/dev");
    expect(points).toContain("/sys");
    // the host's own mounts (this checkout, the state root, the host's /run) are not there
    expect(info).not.toContain(" /work");
    expect(points.some((p) => p.startsWith("/run"))).toBe(false);
    expect(ns!.trim()).not.toBe(readlinkSync("/proc/self/ns/mnt"));
  });

  test("the root directory is the rootfs: the host's / is unreachable", () => {
    const r = sh("ls -a / | tr '\\n' ' '; echo; cd /..; ls -a | tr '\\n' ' '");
    expect(r.code).toBe(0);
    const [root, up] = r.stdout.split("\n");
    expect(root).toContain(".ready"); // the fixture's marker at the rootfs's top
    expect(root).not.toMatch(/\bwork\b/);
    expect(up).toBe(root);
  });

  test("a mount made inside a privileged container does not reach the host", () => {
    const name = uniqueName("mnt");
    const r = ctr(["run", "-d", ...NONE, "--privileged", "--name", name, ROOTFS, "sh", "-c",
      "mount -t tmpfs inside-tmpfs /home/user && echo secret > /home/user/marker && echo mounted; exec sleep 1000"]);
    expect(r.code).toBe(0);
    for (let i = 0; i < 100 && !ctr(["logs", name]).stdout.includes("mounted"); i++) Bun.sleepSync(20);
    expect(ctr(["logs", name]).stdout).toBe("mounted\n");
    // visible inside (exec joins the container's mount namespace) ...
    expect(ctr(["exec", name, "cat", "/home/user/marker"]).stdout).toBe("secret\n");
    // ... but not on the host: neither the mount nor the file written into it
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain("inside-tmpfs");
    expect(readFileSync("/proc/1/mountinfo", "utf8")).not.toContain("inside-tmpfs");
    expect(existsSync(join(ROOTFS, "home/user/marker"))).toBe(false);
    expect(ctr(["rm", "-f", name]).code).toBe(0);
  });

  test("cap-add SYS_ADMIN with seccomp=unconfined may mount; it stays inside as well", () => {
    const r = sh("mount -t tmpfs inside-tmpfs2 /home/user && grep -c inside-tmpfs2 /proc/self/mountinfo",
      ["--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1\n");
    expect(r.code).toBe(0);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain("inside-tmpfs2");
  });
});

describe("volume propagation", () => {
  test("an rshared volume carries a mount made inside back to the host's shared mount; a plain one does not", () => {
    const host = mkdtempSync(join(tmpdir(), "ctr-prop-"));
    const mount = (...a: string[]) => Bun.spawnSync(["mount", ...a]).exitCode;
    expect(mount("-t", "tmpfs", "ctr-prop-src", host)).toBe(0);
    try {
      expect(mount("--make-shared", host)).toBe(0);
      for (const [opt, sub] of [["rshared", "a"], ["rprivate", "b"]] as const) {
        const r = sh(`mkdir -p /mnt/${sub} && mount -t tmpfs ctr-prop-in-${sub} /mnt/${sub} && grep ' /mnt ' /proc/self/mountinfo`, ["--privileged", "-v", `${host}:/mnt:${opt}`]);
        expect(r.code).toBe(0);
        // inside, the volume is a shared peer (its own optional field) only when asked for
        if (opt === "rshared") expect(r.stdout).toMatch(/ shared:\d+/);
        else expect(r.stdout).not.toMatch(/ shared:\d+/);
      }
      const hostInfo = readFileSync("/proc/self/mountinfo", "utf8");
      expect(hostInfo).toContain("ctr-prop-in-a");
      expect(hostInfo).not.toContain("ctr-prop-in-b");
    } finally {
      Bun.spawnSync(["umount", "-R", host]);
      rmSync(host, { recursive: true, force: true });
    }
  });
});

describe("UTS namespace", () => {
  test("the default host name is the first 12 hex digits of the id", () => {
    const name = uniqueName("uts");
    const id = ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sleep", "1000"]).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(ctr(["exec", name, "hostname"]).stdout).toBe(`${id.slice(0, 12)}\n`);
    expect(ctr(["exec", name, "cat", "/proc/sys/kernel/hostname"]).stdout).toBe(`${id.slice(0, 12)}\n`);
    ctr(["rm", "-f", name]);
  });

  test("--hostname sets it, and only inside", () => {
    const before = hostHostname();
    const r = sh("hostname; uname -n", ["--hostname", "foo"]);
    expect(r.stdout).toBe("foo\nfoo\n");
    expect(hostHostname()).toBe(before);
  });
});

describe("IPC namespace", () => {
  let shmid = -1;
  beforeAll(() => {
    const out = Bun.spawnSync(["ipcmk", "-M", "4096"]).stdout.toString();
    shmid = Number(/(\d+)\s*$/.exec(out.trim())?.[1] ?? -1);
  });
  afterAll(() => {
    if (shmid >= 0) Bun.spawnSync(["ipcrm", "-m", String(shmid)]);
  });

  test("a SysV shared memory segment of the host is not listed inside", () => {
    expect(shmid).toBeGreaterThanOrEqual(0);
    const ids = (text: string) => text.trim().split("\n").slice(1).map((l) => Number(l.trim().split(/\s+/)[1]));
    expect(ids(readFileSync("/proc/sysvipc/shm", "utf8"))).toContain(shmid);
    const r = sh("cat /proc/sysvipc/shm; readlink /proc/self/ns/ipc");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toContain("shmid"); // the header: the file is there, and empty
    expect(lines).toHaveLength(2);
    expect(lines[1]).not.toBe(readlinkSync("/proc/self/ns/ipc"));
  });
});

describe("cgroup namespace", () => {
  test("inside every hierarchy is '/'; on the host the init sits in a cgroup named by the id", () => {
    const name = uniqueName("cg");
    const id = ctr(["run", "-d", ...NONE, "--name", name, ROOTFS, "sleep", "1000"]).stdout.trim();
    const inside = ctr(["exec", name, "cat", "/proc/1/cgroup"]).stdout.trim().split("\n");
    expect(inside.length).toBeGreaterThan(0);
    for (const l of inside) expect(l).toMatch(/^\d+:[^:]*:\/$/);
    const pid = Number(ctr(["inspect", "-f", "{{.State.Pid}}", name]).stdout);
    expect(pid).toBeGreaterThan(1);
    const host = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
    expect(host).toHaveLength(inside.length);
    for (const l of host) expect(l).toContain(id);
    ctr(["rm", "-f", name]);
  });
});

describe("network none", () => {
  test("only lo, and it is up", () => {
    const r = sh("ls /sys/class/net; echo; cat /sys/class/net/lo/flags; ip link; tail -n +3 /proc/net/dev | cut -d: -f1");
    expect(r.code).toBe(0);
    const [devs, flags] = r.stdout.split("\n\n");
    expect(devs).toBe("lo");
    expect(Number(flags!.split("\n")[0]) & 1).toBe(1); // IFF_UP
    expect(r.stdout).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/m);
    expect(r.stdout).not.toMatch(/^2: /m);
    expect(r.stdout.trim().split("\n").at(-1)!.trim()).toBe("lo");
  });

  test("lo answers on 127.0.0.1", () => {
    const r = sh("(echo hi | nc -l -p 8080 &) ; sleep 0.2; nc 127.0.0.1 8080 </dev/null");
    expect(r.stdout).toBe("hi\n");
  });
});

describe("/dev", () => {
  test("only the default nodes and links, and no host device", () => {
    const r = sh("ls -A /dev | tr '\\n' ' '; echo; ls -A /dev/pts | tr '\\n' ' '");
    expect(r.code).toBe(0);
    const [dev, pts] = r.stdout.split("\n");
    expect(dev!.trim().split(" ").sort()).toEqual(
      ["core", "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"],
    );
    expect(pts!.trim()).toBe("ptmx");
    // nothing like the host's disks
    for (const d of ["vda", "sda", "loop0", "zram0", "kmsg", "mem", "console"]) expect(dev).not.toMatch(new RegExp(`\\b${d}\\b`));
  });

  test("the nodes are the right devices and work", () => {
    const r = sh([
      "stat -c '%n %F %t:%T %a' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty",
      "echo gone > /dev/null && cat /dev/null && echo null-ok",
      "head -c 4 /dev/zero | od -An -tx1",
      "head -c 8 /dev/urandom | wc -c",
      "echo x > /dev/full || echo full-refused",
    ].join("; "));
    expect(r.stdout.split("\n").slice(0, 6)).toEqual([
      "/dev/null character special file 1:3 666",
      "/dev/zero character special file 1:5 666",
      "/dev/full character special file 1:7 666",
      "/dev/random character special file 1:8 666",
      "/dev/urandom character special file 1:9 666",
      "/dev/tty character special file 5:0 666",
    ]);
    expect(r.stdout).toContain("null-ok\n");
    expect(r.stdout).toContain(" 00 00 00 00\n");
    expect(r.stdout).toMatch(/^8$/m);
    expect(r.stdout).toContain("full-refused");
    expect(r.stderr).toContain("No space left on device");
  });
});

describe("/proc and /sys", () => {
  test("/sys is mounted read-only", () => {
    const r = sh("grep ' /sys ' /proc/self/mountinfo; touch /sys/x; echo 1 > /sys/kernel/uevent_helper");
    expect(r.stdout).toMatch(/ \/sys ro,/);
    expect(r.stderr).toContain("touch: /sys/x: Read-only file system");
    expect(r.stderr).toContain("/sys/kernel/uevent_helper: Read-only file system");
  });

  test("masked paths read empty", () => {
    // /proc/kcore is masked where the kernel has one; some kernels have none
    const kcore = existsSync("/proc/kcore");
    const r = sh("wc -c < /proc/keys; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; ls -A /proc/acpi | wc -l; test -e /proc/kcore && wc -c < /proc/kcore || echo no-kcore; cat /proc/self/mountinfo");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => l.trim());
    expect(lines.slice(0, 4)).toEqual(["0", "0", "0", "0"]);
    expect(lines[4]).toBe(kcore ? "0" : "no-kcore");
    // empty because something is mounted over them, not because the kernel has nothing to say
    const points = mountinfo(lines.slice(5).join("\n")).map((m) => m.point);
    for (const p of ["/proc/keys", "/proc/timer_list", "/sys/firmware", "/proc/acpi", "/proc/kcore"].filter((p) => existsSync(p))) {
      expect(points).toContain(p);
    }
    expect(readFileSync("/proc/timer_list", "utf8").length).toBeGreaterThan(0);
    expect(Bun.spawnSync(["ls", "-A", "/sys/firmware"]).stdout.toString()).not.toBe("");
  });

  test("read-only paths refuse writes", () => {
    const sysrq = existsSync("/proc/sysrq-trigger");
    const r = sh("echo x > /proc/sys/kernel/hostname; echo 1 > /proc/sys/vm/drop_caches; echo h > /proc/sysrq-trigger; grep -E ' /proc/(sys|sysrq-trigger|bus|fs|irq) ' /proc/self/mountinfo | cut -d' ' -f5,6");
    expect(r.stderr).toContain("/proc/sys/kernel/hostname: Read-only file system");
    expect(r.stderr).toContain("/proc/sys/vm/drop_caches: Read-only file system");
    // this kernel may be built without magic SysRq; then there is nothing to protect
    expect(r.stderr).toContain(sysrq ? "/proc/sysrq-trigger: Read-only file system" : "/proc/sysrq-trigger: nonexistent directory");
    for (const l of r.stdout.trim().split("\n")) expect(l).toMatch(/ ro,/);
    expect(r.stdout).toContain("/proc/sys ro,");
  });
});

describe("process settings", () => {
  test("-e and -w", () => {
    const r = sh("echo $FOO; pwd", ["-e", "FOO=bar baz", "-w", "/home/user"]);
    expect(r.stdout).toBe("bar baz\n/home/user\n");
  });

  test("--user 1000:1000", () => {
    const r = sh("id -u; id -g; grep -E '^(CapPrm|CapEff|CapBnd)' /proc/self/status", ["--user", "1000:1000"]);
    expect(r.stdout).toStartWith("1000\n1000\n");
    expect(r.stdout).toContain("CapPrm:\t0000000000000000");
    expect(capEff(r.stdout)).toBe("0000000000000000");
    expect(r.stdout).toContain("CapBnd:\t00000000a80425fb");
  });

  test("--user NAME takes uid, gid, home and supplementary groups from the rootfs", () => {
    const r = sh("id; id -G; echo $HOME; grep Groups /proc/self/status", ["--user", "user"]);
    expect(r.stdout).toBe("uid=1000(user) gid=1000(user) groups=1000(user),2000(extra)\n1000 2000\n/home/user\nGroups:\t1000 2000 \n");
  });

  test("root's default capabilities, no_new_privs and seccomp", () => {
    const r = sh("grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status");
    expect(r.stdout).toBe([
      "CapInh:\t0000000000000000",
      "CapPrm:\t00000000a80425fb",
      "CapEff:\t00000000a80425fb",
      "CapBnd:\t00000000a80425fb",
      "CapAmb:\t0000000000000000",
      "NoNewPrivs:\t1",
      "Seccomp:\t2",
      "",
    ].join("\n"));
  });

  test("--cap-drop CHOWN clears bit 0; --cap-add NET_ADMIN sets bit 12", () => {
    const drop = BigInt(`0x${capEff(sh("cat /proc/self/status", ["--cap-drop", "CHOWN"]).stdout)}`);
    expect(drop & 1n).toBe(0n);
    expect(drop).toBe(0xa80425fbn & ~1n);
    const add = BigInt(`0x${capEff(sh("cat /proc/self/status", ["--cap-add", "NET_ADMIN"]).stdout)}`);
    expect((add >> 12n) & 1n).toBe(1n);
    expect(add).toBe(0xa80425fbn | (1n << 12n));
    // and a dropped capability is really gone: chown fails
    const r = sh("touch /tmp/c-$$ && chown 1000 /tmp/c-$$; rm -f /tmp/c-$$", ["--cap-drop", "CHOWN"]);
    expect(r.stderr).toContain("Operation not permitted");
  });

  test("--read-only: the root and /tmp refuse writes", () => {
    const f = uniqueName("ro");
    const r = sh(`touch /${f}; touch /tmp/${f}; echo done`, ["--read-only"]);
    expect(r.stdout).toBe("done\n");
    expect(r.stderr).toBe(`touch: /${f}: Read-only file system\ntouch: /tmp/${f}: Read-only file system\n`);
    expect(existsSync(join(ROOTFS, f))).toBe(false);
    expect(existsSync(join(ROOTFS, "tmp", f))).toBe(false);
  });

  test("--read-only with --tmpfs /tmp: only /tmp is writable", () => {
    const f = uniqueName("tmpfs");
    const r = sh(`touch /${f}; touch /tmp/${f} && echo tmp-ok; grep ' /tmp ' /proc/self/mountinfo`, ["--read-only", "--tmpfs", "/tmp"]);
    expect(r.stderr).toBe(`touch: /${f}: Read-only file system\n`);
    const [ok, line] = r.stdout.split("\n");
    expect(ok).toBe("tmp-ok");
    expect(line).toMatch(/ \/tmp rw,nosuid,nodev,relatime .*- tmpfs tmpfs rw/);
    expect(existsSync(join(ROOTFS, "tmp", f))).toBe(false);
  });

  test("bind mounts: -v host:ctr is shared, :ro is read-only", () => {
    const dir = join(tmp, "vol");
    mkdirSync(dir);
    writeFileSync(join(dir, "in"), "from host\n");
    const r = sh("cat /data/in; echo from-ctr > /data/out; echo no > /ro/out2; cat /ro/in",
      ["-v", `${dir}:/data`, "-v", `${dir}:/ro:ro`]);
    expect(r.stdout).toBe("from host\nfrom host\n");
    expect(r.stderr).toContain("/ro/out2: Read-only file system");
    expect(readFileSync(join(dir, "out"), "utf8")).toBe("from-ctr\n");
    expect(existsSync(join(dir, "out2"))).toBe(false);
  });

  test("--tmpfs with options", () => {
    // over a directory the rootfs has, so nothing is created in the shared fixture
    const r = sh("grep ' /var/www ' /proc/self/mountinfo; stat -c %a /var/www; ls -A /var/www; echo x > /var/www/f && cat /var/www/f",
      ["--tmpfs", "/var/www:size=1m,mode=1770"]);
    const [line, ...rest] = r.stdout.split("\n");
    expect(line).toMatch(/ \/var\/www rw,nosuid,nodev,relatime .*- tmpfs tmpfs rw,size=1024k,mode=1770$/);
    // empty before the write: the rootfs's index.html is hidden
    expect(rest.join("\n")).toBe("1770\nx\n");
    expect(existsSync(join(ROOTFS, "var/www/f"))).toBe(false);
  });

  test("--ulimit nofile=1024:2048", () => {
    const r = sh("ulimit -n; ulimit -Hn", ["--ulimit", "nofile=1024:2048"]);
    expect(r.stdout).toBe("1024\n2048\n");
  });

  test("a TOML file (ctr run -f) gives the same settings", () => {
    const vol = join(tmp, "tomlvol");
    mkdirSync(vol);
    writeFileSync(join(vol, "in"), "toml\n");
    const file = join(tmp, "c.toml");
    writeFileSync(file, [
      `rootfs = ${JSON.stringify(ROOTFS)}`,
      `command = ["sh", "-c", "id -u; id -G; pwd; echo $GREETING; hostname; ulimit -n; grep CapEff /proc/self/status; touch /x 2>&1; cat /data/in; touch /tmp/ok && echo tmp-ok"]`,
      `user = "user"`,
      `workdir = "/home/user"`,
      `hostname = "tomlhost"`,
      `read_only = true`,
      `[env]`,
      `GREETING = "hello"`,
      `[ulimits]`,
      `nofile = "512:1024"`,
      `[network]`,
      `mode = "none"`,
      `[security]`,
      `cap_drop = ["CHOWN"]`,
      `[[mounts]]`,
      `type = "tmpfs"`,
      `target = "/tmp"`,
      `[[mounts]]`,
      `type = "bind"`,
      `source = ${JSON.stringify(vol)}`,
      `target = "/data"`,
      `readonly = true`,
      "",
    ].join("\n"));
    const r = ctr(["run", "--rm", "-f", file]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      "1000", "1000 2000", "/home/user", "hello", "tomlhost", "512", "CapEff:\t0000000000000000",
      "touch: /x: Read-only file system", "toml", "tmp-ok", "",
    ].join("\n"));
  });
});

describe("exec joins everything", () => {
  const name = uniqueName("exec");
  const nsKinds = ["pid", "mnt", "uts", "ipc", "net", "cgroup"];
  let initNs = "";

  beforeAll(() => {
    const r = ctr(["run", "-d", ...NONE, "--hostname", "joined", "--name", name, ROOTFS, "sh", "-c",
      `for n in ${nsKinds.join(" ")}; do readlink /proc/self/ns/$n; done; exec sleep 1000`]);
    expect(r.code).toBe(0);
    for (let i = 0; i < 100 && ctr(["logs", name]).stdout.split("\n").length <= nsKinds.length; i++) Bun.sleepSync(20);
    initNs = ctr(["logs", name]).stdout;
  });
  afterAll(() => ctr(["rm", "-f", name]));

  test("the same namespaces as the init, none of them the host's", () => {
    expect(initNs.trim().split("\n")).toHaveLength(nsKinds.length);
    const r = ctr(["exec", name, "sh", "-c", `for n in ${nsKinds.join(" ")}; do readlink /proc/self/ns/$n; done`]);
    expect(r.stdout).toBe(initNs);
    const host = nsKinds.map((n) => readlinkSync(`/proc/self/ns/${n}`));
    for (const l of initNs.trim().split("\n")) expect(host).not.toContain(l);
  });

  test("ps shows the init as PID 1; same host name and cgroup", () => {
    const r = ctr(["exec", name, "sh", "-c", "ps -o pid,args; hostname; cat /proc/self/cgroup"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[1]!.trim()).toBe("1 sleep 1000");
    expect(lines).toContain("joined");
    const cg = lines.filter((l) => /^\d+:/.test(l));
    expect(cg.length).toBeGreaterThan(0);
    for (const l of cg) expect(l).toMatch(/:\/$/);
  });

  test("the same capabilities, no_new_privs and seccomp", () => {
    const r = ctr(["exec", name, "grep", "-E", "^(CapEff|CapBnd|NoNewPrivs|Seccomp):", "/proc/self/status"]);
    expect(r.stdout).toBe("CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\n");
  });

  test("exec -u 1000 -w /tmp -e X=1", () => {
    const r = ctr(["exec", "-u", "1000", "-w", "/tmp", "-e", "X=1", name, "sh", "-c", "id -u; pwd; echo X=$X; grep CapEff /proc/self/status"]);
    expect(r.stdout).toBe("1000\n/tmp\nX=1\nCapEff:\t0000000000000000\n");
  });
});
