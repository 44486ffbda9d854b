// The Plan is data: its order is what security rests on, so it is checked
// here without root or a kernel.
import { describe, expect, test } from "bun:test";
import { buildExecPlan, buildRunPlan, type RunInput } from "../../runtime/plan.ts";
import { encodePlan, OP } from "../../runtime/plan-wire.ts";
import { defaultSpec } from "../../spec/types.ts";

function input(over: Partial<RunInput> = {}, specOver: Partial<ReturnType<typeof defaultSpec>> = {}): RunInput {
  const spec = { ...defaultSpec(), command: ["sh"], ...specOver };
  return {
    spec,
    rootfs: "/r",
    stateDir: "/s",
    logPath: "/s/log",
    hostname: "abc",
    argv: ["sh"],
    env: ["PATH=/bin"],
    user: { uid: 0, gid: 0, groups: [0], home: "/root" },
    caps: 0xa80425fbn,
    seccomp: new Uint8Array(16),
    cgroupProcs: ["/sys/fs/cgroup/memory/ctr/x/cgroup.procs"],
    namespaces: ["pid", "ipc", "uts", "net", "cgroup", "mount"].map((kind) => ({ kind: kind as "pid", how: "new" as const })),
    attach: { stdin: false, stdout: true, stderr: true },
    ...over,
  };
}
const ops = (steps: { op: string }[]) => steps.map((s) => s.op);

describe("run plan", () => {
  const steps = buildRunPlan(input());
  const o = ops(steps);
  test("clones every namespace but cgroup, which is unshared after the cgroup join", () => {
    const flags = Number(steps.find((s) => s.op === "CLONE_FLAGS")!.args[0]);
    expect(flags).toBe(0x20000000 | 0x08000000 | 0x04000000 | 0x40000000 | 0x00020000);
    expect(o.indexOf("CGROUP_JOIN")).toBeLessThan(o.indexOf("UNSHARE"));
  });
  test("mounts happen in the rootfs, before pivot_root; masks after", () => {
    expect(o.indexOf("ROOTFS")).toBeLessThan(o.indexOf("MOUNT"));
    expect(o.lastIndexOf("MOUNT")).toBeLessThan(o.indexOf("PIVOT_ROOT"));
    expect(o.indexOf("PIVOT_ROOT")).toBeLessThan(o.indexOf("MASK"));
    const masked = steps.filter((s) => s.op === "MASK").map((s) => s.args[0]);
    expect(masked).toContain("/proc/kcore");
    expect(masked).toContain("/sys/firmware");
    expect(steps.filter((s) => s.op === "READONLY").map((s) => s.args[0])).toContain("/proc/sys");
  });
  test("--device: a node of the host's numbers at the container path; in a user namespace the host's node is bound there", () => {
    const dev = { path: "/dev/xdisk", hostPath: "/dev/vda", type: "b" as const, major: 253, minor: 0, mode: 0o660 };
    const mk = buildRunPlan(input({ devices: [dev] })).filter((x) => x.op === "MKNOD").map((x) => x.args);
    expect(mk).toContainEqual(["/dev/xdisk", "b", "253", "0", String(0o660), "0", "0"]);
    const idMap = { uid: "0 100000 65536\n", gid: "0 100000 65536\n" };
    const bind = buildRunPlan(input({ devices: [dev], idMap })).filter((x) => x.op === "BIND_DEV").map((x) => x.args);
    expect(bind).toContainEqual(["/dev/vda", "/dev/xdisk"]);
    expect(bind).toContainEqual(["/dev/null", "/dev/null"]);
  });
  test("--net host binds the host's /sys; without its submounts when a cgroup2 mount of the container's own follows (v2: EBUSY on the host's)", () => {
    const namespaces = input().namespaces.map((n) => (n.kind === "net" ? { kind: "net" as const, how: "host" as const } : n));
    const cgroupMounts = [{ target: "/sys/fs/cgroup", fstype: "cgroup2", source: "cgroup", flags: 1 | 2 | 4 | 8, data: "" }];
    const sysBind = (over: Partial<RunInput>) => Number(buildRunPlan(input({ namespaces, ...over })).find((x) => x.op === "MOUNT" && x.args[1] === "/sys")!.args[3]);
    const REC = 16384, BIND = 4096;
    expect(sysBind({ cgroupMounts }) & (BIND | REC)).toBe(BIND);
    const s = buildRunPlan(input({ namespaces, cgroupMounts })).filter((x) => x.op === "MOUNT").map((x) => x.args[1]);
    expect(s.indexOf("/sys")).toBeLessThan(s.indexOf("/sys/fs/cgroup"));
    // in a user namespace no cgroupfs is mounted: the host's tree comes with /sys
    expect(sysBind({ cgroupMounts, idMap: { uid: "0 100000 65536\n", gid: "0 100000 65536\n" } }) & REC).toBe(REC);
  });
  test("privileges are dropped in order and seccomp comes last", () => {
    const tail = o.slice(o.indexOf("CAP_BOUNDING"));
    expect(tail).toEqual(["CAP_BOUNDING", "USER", "CAPSET", "NO_NEW_PRIVS", "SECCOMP", "ENV", "ARGV", "EXEC"]);
  });
  test("a gate (the CLI wires the network meanwhile): the last step before exec, after every privilege is dropped", () => {
    const g = buildRunPlan(input({ gate: 6, files: [{ source: "/s/hosts", target: "/etc/hosts" }] }));
    expect(ops(g).slice(-5)).toEqual(["SECCOMP", "ENV", "ARGV", "GATE", "EXEC"]);
    expect(g.find((x) => x.op === "GATE")!.args).toEqual(["6"]);
    // its files are bind-mounted before it: they exist when the executor starts
    expect(ops(g).indexOf("PIVOT_ROOT")).toBeLessThan(ops(g).indexOf("GATE"));
    expect(g.findIndex((x) => x.op === "MOUNT" && x.args[1] === "/etc/hosts")).toBeLessThan(ops(g).indexOf("PIVOT_ROOT"));
    expect(o).not.toContain("GATE");
  });
  test("a namespace the monitor makes: a NETNS step for the monitor, no clone flag, no setns, no LO_UP in the init", () => {
    const namespaces = ["pid", "ipc", "uts", "cgroup", "mount"].map((kind) => ({ kind: kind as "pid", how: "new" as const }));
    const m = buildRunPlan(input({ namespaces: [...namespaces, { kind: "net", how: "make", path: "/s/netns/x" }] }));
    expect(m.find((x) => x.op === "NETNS")!.args).toEqual(["/s/netns/x"]);
    expect(Number(m.find((x) => x.op === "CLONE_FLAGS")!.args[0]) & 0x40000000).toBe(0);
    expect(ops(m)).not.toContain("LO_UP");
    expect(m.some((x) => (x.op === "SETNS" || x.op === "SETNS_CHILD") && x.args[0] === "net")).toBe(false);
    // the init is cloned in it: before the clone's steps, with the monitor's own
    expect(ops(m).indexOf("NETNS")).toBeLessThan(ops(m).indexOf("ROOTFS"));
  });
  test("without no_new_privs seccomp is loaded while CAP_SYS_ADMIN is still held", () => {
    const spec = defaultSpec();
    spec.security.noNewPrivileges = false;
    const t = ops(buildRunPlan(input({}, { security: spec.security })));
    expect(t.indexOf("SECCOMP")).toBeLessThan(t.indexOf("USER"));
    expect(t).not.toContain("NO_NEW_PRIVS");
  });
  test("a non-root user keeps the bounding set but no effective capabilities", () => {
    const s = buildRunPlan(input({ user: { uid: 1000, gid: 1000, groups: [1000, 2000], home: "/home/u" } }));
    expect(s.find((x) => x.op === "USER")!.args).toEqual(["1000", "1000", "1000,2000"]);
    expect(s.find((x) => x.op === "CAPSET")!.args).toEqual(["0", "0", "0", "0"]);
    expect(s.find((x) => x.op === "CAP_BOUNDING")!.args).toEqual(["a80425fb"]);
  });
  test("privileged: no masks, no seccomp", () => {
    const spec = defaultSpec();
    spec.security.privileged = true;
    const t = ops(buildRunPlan(input({ seccomp: null }, { security: spec.security })));
    expect(t).not.toContain("MASK");
    expect(t).not.toContain("SECCOMP");
  });
  test("host namespaces are not cloned; joined ones are entered by the init", () => {
    const s = buildRunPlan(input({ namespaces: [{ kind: "pid", how: "new" }, { kind: "net", how: "host" }, { kind: "ipc", how: "join", path: "/proc/9/ns/ipc" }, { kind: "mount", how: "new" }] }));
    expect(Number(s.find((x) => x.op === "CLONE_FLAGS")!.args[0])).toBe(0x20000000 | 0x00020000);
    expect(s.find((x) => x.op === "SETNS_CHILD")!.args).toEqual(["ipc", "/proc/9/ns/ipc"]);
    expect(ops(s)).not.toContain("LO_UP");
  });
  test("read-only rootfs, tty, restart, --rm", () => {
    const s = buildRunPlan(input({ onExit: ["/ctr", "rm", "x"] }, { readOnly: true, tty: true, restart: { name: "on-failure", maxRetries: 3 } }));
    expect(ops(s)).toContain("ROOT_READONLY");
    expect(s.find((x) => x.op === "PTY")!.args).toEqual(["console"]);
    expect(s.find((x) => x.op === "STDIO")!.args).toEqual(["tty"]);
    expect(s.find((x) => x.op === "RESTART")!.args).toEqual(["on-failure", "3"]);
    expect(s.find((x) => x.op === "ON_EXIT")!.args).toEqual(["/ctr", "rm", "x"]);
  });
});

describe("OCI hooks and propagation", () => {
  const hook = (path: string) => ({ path, args: [path, "x"], env: ["A=1"], timeout: 3, state: ['{"id":"c","pid":', "}"] as [string, string] });
  test("createContainer runs before pivot_root, startContainer just before exec (after `start`)", () => {
    const steps = buildRunPlan(input({ hooks: { createContainer: [hook("/cc")], startContainer: [hook("/sc1"), hook("/sc2")] } }));
    const o = ops(steps);
    const hooks = steps.filter((s) => s.op === "HOOK");
    expect(hooks.map((h) => h.args.slice(0, 2))).toEqual([["createContainer", "/cc"], ["startContainer", "/sc1"], ["startContainer", "/sc2"]]);
    expect(o.indexOf("HOOK")).toBe(o.indexOf("PIVOT_ROOT") - 1);
    expect(o.slice(-3)).toEqual(["HOOK", "HOOK", "EXEC"]);
    expect(hooks[0]!.args).toEqual(["createContainer", "/cc", "3", '{"id":"c","pid":', "}", "2", "/cc", "x", "A=1"]);
  });
  test("a volume's propagation option is set on it after pivot_root (which leaves the tree rslave)", () => {
    const spec = { ...defaultSpec(), mounts: [{ type: "bind" as const, source: "/h", target: "/m", readonly: false, options: ["rshared"] }] };
    const steps = buildRunPlan(input({}, spec));
    const o = ops(steps);
    const i = steps.findIndex((s) => s.op === "PROPAGATION" && s.args[1] === "/m");
    expect(i).toBe(o.indexOf("PIVOT_ROOT") + 1);
    expect(steps[i]!.args[0]).toBe(String((1 << 20) | 16384));
  });
});

describe("exec plan", () => {
  test("joins pid in the monitor, the rest in order in the child, user namespace first", () => {
    const s = buildExecPlan({
      initPid: 42, tty: false, argv: ["ps"], env: [], cwd: "/", user: { uid: 0, gid: 0, groups: [0], home: "/" },
      caps: 1n, noNewPrivileges: true, seccomp: null, cgroupProcs: ["/cg/cgroup.procs"],
      namespaces: ["user", "pid", "net", "mount"], attach: { stdin: false, stdout: true, stderr: true },
    });
    expect(s.find((x) => x.op === "SETNS")!.args).toEqual(["pid", "/proc/42/ns/pid"]);
    expect(s.filter((x) => x.op === "SETNS_CHILD").map((x) => x.args[0])).toEqual(["user", "net", "mount"]);
  });
});

describe("wire format", () => {
  test("u32 op, u32 argc, then length-prefixed args, closed by END", () => {
    const b = encodePlan([{ op: "HOSTNAME", args: ["ab"] }]);
    const v = new DataView(b.buffer);
    expect(v.getUint32(0, true)).toBe(OP.HOSTNAME);
    expect(v.getUint32(4, true)).toBe(1);
    expect(v.getUint32(8, true)).toBe(2);
    expect(new TextDecoder().decode(b.subarray(12, 14))).toBe("ab");
    expect(v.getUint32(14, true)).toBe(OP.END);
    expect(b.length).toBe(18);
  });
  test("op numbers match the C enum", async () => {
    const h = await Bun.file(`${import.meta.dir}/../../runtime/native/plan.h`).text();
    for (const [name, n] of Object.entries(OP)) {
      expect(h).toMatch(new RegExp(`OP_${name} = ${n},`));
    }
  });
});
