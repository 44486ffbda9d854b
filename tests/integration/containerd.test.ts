// containerd (Debian's) with ctr as the runc shim's binary: a private
// containerd (its own root, state and socket) runs containers through its own
// client, `ctr` from containerd (not ours: it is called by its full path).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { CTR, join, removeNewEmptyDirs, ROOTFS } from "./harness.ts";

setDefaultTimeout(30000);
const CONTAINERD = Bun.which("containerd");
const CLIENT = "/usr/bin/ctr"; // containerd's client, shipped in the same package
if (!CONTAINERD || !existsSync(CLIENT)) throw new Error("containerd is missing: apt-get install containerd (CI installs it)");

const dir = `/tmp/ctr-containerd-test-${process.pid}`;
const run = `/run/ctr-test-containerd-${process.pid}`;
const sock = join(run, "containerd.sock");
const NS = `ctrtest${process.pid}`;
// where the shim tells the runtime to keep its state (runc's --root)
const runtimeRoot = `/run/containerd/runc/${NS}`;
let daemon: Bun.Subprocess | undefined;

function client(args: string[]) {
  const p = Bun.spawnSync([CLIENT, "-a", sock, "-n", NS, ...args], { stdin: "ignore" });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  mkdirSync(run, { recursive: true });
  writeFileSync(
    join(dir, "config.toml"),
    `version = 2\nroot = "${dir}/root"\nstate = "${run}/state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${sock}"\n`,
  );
  daemon = Bun.spawn([CONTAINERD!, "--config", join(dir, "config.toml")], { stdout: Bun.file(join(dir, "containerd.log")), stderr: "inherit", stdin: "ignore" });
  const end = Date.now() + 10000;
  while (!existsSync(sock) && Date.now() < end) await Bun.sleep(20);
  expect(existsSync(sock)).toBe(true);
});

// the shim keeps fifos and sockets under /run/containerd whatever the daemon's --state
const tidyRun = removeNewEmptyDirs(["/run/containerd"]);

afterAll(async () => {
  for (const id of client(["task", "ls", "-q"]).stdout.split("\n").filter(Boolean)) client(["task", "delete", "-f", id]);
  for (const id of client(["container", "ls", "-q"]).stdout.split("\n").filter(Boolean)) client(["container", "rm", id]);
  daemon?.kill();
  await daemon?.exited;
  rmSync(dir, { recursive: true, force: true });
  rmSync(run, { recursive: true, force: true });
  rmSync(runtimeRoot, { recursive: true, force: true });
  tidyRun();
});

// the shim calls BinaryName with runc's global flags first (--root, --log, --log-format json)
const RUN = (flag: string) => ["run", flag, "--runc-binary", CTR, "--rootfs", ROOTFS];

describe("containerd with ctr as the runc binary", () => {
  test("run --rm: output and exit status through the shim", () => {
    const r = client([...RUN("--rm"), `c1-${process.pid}`, "sh", "-c", "echo hi from containerd; exit 3"]);
    expect({ code: r.code, out: r.stdout, err: r.stderr }).toEqual({ code: 3, out: "hi from containerd\n", err: "" });
  });

  test("run -d, exec, pause/resume, kill, delete", async () => {
    const id = `c2-${process.pid}`;
    expect(client([...RUN("-d"), id, "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]).code).toBe(0);
    expect(client(["task", "ls"]).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+RUNNING`));
    const e = client(["task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo exec; exit 4"]);
    expect({ code: e.code, out: e.stdout }).toEqual({ code: 4, out: "exec\n" });
    expect(client(["task", "pause", id]).code).toBe(0);
    expect(client(["task", "ls"]).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+PAUSED`));
    expect(client(["task", "resume", id]).code).toBe(0);
    expect(client(["task", "kill", id]).code).toBe(0);
    const end = Date.now() + 10000;
    while (!/STOPPED/.test(client(["task", "ls"]).stdout) && Date.now() < end) await Bun.sleep(50);
    expect(client(["task", "ls"]).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+STOPPED`));
    expect(client(["task", "delete", id]).code).toBe(0);
    expect(client(["container", "rm", id]).code).toBe(0);
    // the shim's runc root holds nothing of ours any more
    const left = Bun.spawnSync([CTR, "oci", "--root", runtimeRoot, "list", "-q"]).stdout.toString();
    expect(left).toBe("");
  });
});
