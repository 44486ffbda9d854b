// Podman (Debian's) with ctr as its OCI runtime: run --rm, exit statuses,
// run -d + exec + stop + rm. Podman's storage, ctr's state root and the image
// are private to this file and removed afterwards.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { libpodCgroupsExist, removeLibpodCgroups } from "../fixtures/libpod.ts";
import { CTR, join, removeNewEmptyDirs, ROOTFS } from "./harness.ts";

setDefaultTimeout(60000);
const PODMAN = Bun.which("podman");
if (!PODMAN) throw new Error("podman is missing: apt-get install podman (CI installs it)");

const dir = `/tmp/ctr-podman-test-${process.pid}`;
// podman's clean-up process calls the runtime without --runtime-flag, so a
// --root given that way would not reach `delete`: ctr's default root is used
const ociIds = () => Bun.spawnSync([CTR, "oci", "list", "-q"]).stdout.toString().split("\n").filter(Boolean);
mkdirSync(dir, { recursive: true });
// podman calls the runtime as runc is called; a symlink named runc is one way to say so (--runtime-flag runc-compat the other)
const RUNC_LINK = join(dir, "runc");
symlinkSync(CTR, RUNC_LINK);
const IMAGE = "localhost/ctr-podman-test:busybox";
// --network none: podman's own bridge set-up would turn on the host's ip_forward, which other tests expect off
const LIMITS = ["--network", "none", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"];

function podman(args: string[], runtime = RUNC_LINK, extra: string[] = []) {
  const argv = [
    PODMAN!, "--root", join(dir, "storage"), "--runroot", join(dir, "run"), "--storage-driver", "vfs",
    "--runtime", runtime, "--cgroup-manager", "cgroupfs", "--events-backend", "none", ...extra, ...args,
  ];
  const p = Bun.spawnSync(argv, { stdin: "ignore" });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

// podman's cgroupfs manager leaves its parent cgroups behind: removed afterwards if this file made them
const hadLibpod = libpodCgroupsExist();
// podman's clean-up calls the runtime without our flags: ctr's and runc's default roots appear
const tidyRoots = removeNewEmptyDirs(["/run/ctr", "/run/runc"]);

afterAll(() => {
  podman(["rm", "-af", "-t", "0"]);
  podman(["rmi", "-af"]);
  rmSync(dir, { recursive: true, force: true });
  if (!hadLibpod) removeLibpodCgroups();
  tidyRoots();
});

describe("podman --runtime ctr", () => {
  test("an image from the busybox rootfs", () => {
    const tar = join(dir, "rootfs.tar");
    expect(Bun.spawnSync(["tar", "-C", ROOTFS, "-cf", tar, "."]).exitCode).toBe(0);
    const r = podman(["import", tar, IMAGE]);
    expect({ code: r.code, err: r.code ? r.stderr : "" }).toEqual({ code: 0, err: "" });
  });

  test("run --rm echo hi; the exit status comes through; nothing is left", () => {
    const r = podman(["run", "--rm", ...LIMITS, IMAGE, "echo", "hi"]);
    expect({ code: r.code, out: r.stdout }).toEqual({ code: 0, out: "hi\n" });
    const before = ociIds();
    expect(podman(["run", "--rm", ...LIMITS, IMAGE, "sh", "-c", "exit 3"]).code).toBe(3);
    expect(podman(["ps", "-aq"]).stdout).toBe("");
    // nothing left in ctr's state either
    expect(ociIds().filter((id) => !before.includes(id))).toEqual([]);
  });

  test("the binary under its own name, told with --runtime-flag runc-compat", () => {
    const s = podman(["--runtime-flag", "runc-compat", "run", "--rm", ...LIMITS, IMAGE, "echo", "compat"], CTR);
    expect({ code: s.code, out: s.stdout }).toEqual({ code: 0, out: "compat\n" });
  });

  test("-t: the pty master comes over --console-socket, for run and for exec", () => {
    const r = podman(["run", "--rm", "-t", ...LIMITS, IMAGE, "sh", "-c", "tty; exit 5"]);
    expect({ code: r.code, out: r.stdout }).toEqual({ code: 5, out: "/dev/pts/0\r\n" });
    expect(podman(["run", "-d", "--name", "ctr-pt", ...LIMITS, IMAGE, "sleep", "100"]).code).toBe(0);
    const e = podman(["exec", "-t", "ctr-pt", "sh", "-c", "tty; exit 6"]);
    expect({ code: e.code, out: e.stdout }).toEqual({ code: 6, out: "/dev/pts/0\r\n" });
    expect(podman(["rm", "-f", "-t", "0", "ctr-pt"]).code).toBe(0);
  });

  test("the container sees what it sees under runc: mounts, seccomp, capabilities, limits, env, /dev", () => {
    const probe = "cat /proc/self/mountinfo | cut -d' ' -f5,6,9 | sort; grep -E 'Cap|Seccomp|NoNewPrivs' /proc/self/status; ulimit -n; env | grep -v HOSTNAME | sort; ls /dev";
    const view = (runtime: string) => {
      const r = podman(["run", "--rm", ...LIMITS, IMAGE, "sh", "-c", probe], runtime);
      expect({ runtime, code: r.code }).toEqual({ runtime, code: 0 });
      // known differences: ctr also mounts v1's named "unified" hierarchy, and links /dev/core as Docker does
      return r.stdout.split("\n").filter((l) => !l.startsWith("/sys/fs/cgroup/unified ") && l !== "core").join("\n");
    };
    expect(view(RUNC_LINK)).toBe(view(Bun.which("runc")!));
  });

  test("run -d, exec, stop, rm", () => {
    const d = podman(["run", "-d", "--name", "ctr-pd", ...LIMITS, IMAGE, "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]);
    expect({ code: d.code, err: d.stderr }).toEqual({ code: 0, err: "" });
    const e = podman(["exec", "ctr-pd", "sh", "-c", "echo in $(hostname); exit 4"]);
    expect(e.code).toBe(4);
    expect(e.stdout).toStartWith("in ");
    expect(podman(["ps", "--format", "{{.Names}} {{.Status}}"]).stdout).toStartWith("ctr-pd Up");
    const s = podman(["stop", "-t", "5", "ctr-pd"]);
    expect({ code: s.code, err: s.stderr }).toEqual({ code: 0, err: "" });
    expect(podman(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "ctr-pd"]).stdout.trim()).toBe("exited 0");
    expect(podman(["rm", "ctr-pd"]).code).toBe(0);
    expect(podman(["ps", "-aq"]).stdout).toBe("");
  });
});
