// createCgroup, place and the freezer against fake cgroupfs trees in a temp
// dir: the v2 driver is checked here without a v2 host (issue 11 proves it on
// one). A fake tree does what a test writes into it and nothing more, so the
// kernel's side (cgroup.controllers of a new directory, cgroup.events) is
// written by the test where it matters.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CgroupError, createCgroup, oomCounter, removeCgroup, removeDefaultParents } from "../../../cgroup/cgroup.ts";

// the BPF device program is kernel work: recorded here, proven in tests/integration/devices.test.ts
const attached: string[] = [];
const sys = { attachDeviceFilter: (dir: string) => void attached.push(dir) };
import { eventsFrozen, freeze, FreezeError, freezerState, thaw } from "../../../cgroup/controllers/freezer.ts";
import type { Hierarchy } from "../../../cgroup/mode.ts";
import { place } from "../../../cgroup/place.ts";
import { oomKills } from "../../../cgroup/stats/memory.ts";

const base = mkdtempSync(join(tmpdir(), "ctr-cg-unit-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(base, String(n++));
  mkdirSync(d);
  return d;
};
const read = (f: string) => readFileSync(f, "utf8");

/** A v2 root that offers these controllers, and a container leaf the "kernel" gave them to. */
function v2Tree(controllers: string, leafControllers = controllers, id = "c1") {
  const root = fresh();
  writeFileSync(join(root, "cgroup.controllers"), controllers);
  writeFileSync(join(root, "cgroup.subtree_control"), "");
  mkdirSync(join(root, "ctr", id), { recursive: true });
  writeFileSync(join(root, "ctr", "cgroup.controllers"), controllers);
  writeFileSync(join(root, "ctr", "cgroup.subtree_control"), "");
  writeFileSync(join(root, "ctr", id, "cgroup.controllers"), leafControllers);
  const hs: Hierarchy[] = [{ mount: root, version: 2, controllers: controllers.split(" "), root: "/" }];
  return { root, hs, leaf: join(root, "ctr", id) };
}

describe("v2 driver", () => {
  test("enables the controllers down the tree and writes the limits in the leaf", () => {
    const { root, hs, leaf } = v2Tree("cpuset cpu io memory pids hugetlb");
    attached.length = 0;
    const ref = createCgroup("ctr/c1", { memory: 33554432, cpus: 0.5, pidsLimit: 20, cpuShares: 1024, blkioWeight: 500 }, hs, sys);
    // v2 has no devices.allow: the allow-list goes to the leaf as a BPF program
    expect(attached).toEqual([join(root, "ctr", "c1")]);
    expect(ref.paths).toEqual([leaf]);
    // hugetlb is not ctr's to hand down
    expect(read(join(root, "cgroup.subtree_control"))).toBe("+cpuset +cpu +io +memory +pids");
    expect(read(join(root, "ctr", "cgroup.subtree_control"))).toBe("+cpuset +cpu +io +memory +pids");
    expect(read(join(leaf, "memory.max"))).toBe("33554432");
    expect(read(join(leaf, "cpu.max"))).toBe("50000 100000");
    expect(read(join(leaf, "cpu.weight"))).toBe("39");
    expect(read(join(leaf, "pids.max"))).toBe("20");
    expect(read(join(leaf, "io.weight"))).toBe("4950");
  });
  test("cpuset: a new v2 cgroup's empty cpuset files are left to the kernel (the root has none to copy; found in the VM)", () => {
    const { root, hs, leaf } = v2Tree("cpuset cpu memory pids");
    // as the kernel makes them: empty in every child, absent from the root
    for (const d of [join(root, "ctr"), leaf]) for (const f of ["cpuset.cpus", "cpuset.mems"]) writeFileSync(join(d, f), "");
    createCgroup("ctr/c1", { memory: 33554432 }, hs, sys);
    expect(read(join(leaf, "cpuset.cpus"))).toBe("");
    expect(existsSync(join(root, "ctr", "cgroup.clone_children"))).toBe(false);
  });
  test("swap.max only when the kernel has swap accounting (the file exists)", () => {
    const without = v2Tree("memory");
    createCgroup("ctr/c1", { memory: 1 << 25 }, without.hs, sys);
    expect(existsSync(join(without.leaf, "memory.swap.max"))).toBe(false);
    const withSwap = v2Tree("memory");
    writeFileSync(join(withSwap.leaf, "memory.swap.max"), "max");
    createCgroup("ctr/c1", { memory: 1 << 25, memorySwap: 1 << 26 }, withSwap.hs, sys);
    expect(read(join(withSwap.leaf, "memory.swap.max"))).toBe(String(1 << 25));
  });
  test("--kernel-memory is refused with a message that says why", () => {
    const { hs } = v2Tree("memory");
    expect(() => createCgroup("ctr/c1", { kernelMemory: 1 << 26 }, hs, sys)).toThrow("--kernel-memory is not supported on cgroup v2");
  });
  test("a controller the parent does not hand down is named, with the file to fix", () => {
    const { root, hs } = v2Tree("cpu io memory pids", "cpu memory");
    expect(() => createCgroup("ctr/c1", { pidsLimit: 5 }, hs, sys)).toThrow(`the pids controller is not enabled for ${join(root, "ctr", "c1")} (enable it in ${join(root, "ctr")}/cgroup.subtree_control)`);
  });
  test("a controller the host lacks altogether", () => {
    const { hs } = v2Tree("cpu memory");
    expect(() => createCgroup("ctr/c1", { blkioWeight: 100 }, hs, sys)).toThrow("this host has no cgroup controller for the block I/O limit");
  });
  test("the freezer is core (cgroup.freeze), the OOM counter memory.events", () => {
    const { hs, leaf } = v2Tree("memory");
    writeFileSync(join(leaf, "cgroup.freeze"), "0");
    const ref = { paths: [leaf], mounts: [hs[0]!.mount] };
    expect(place(ref, "freezer", hs)).toEqual({ dir: leaf, version: 2 });
    expect(place(ref, "memory", hs)).toEqual({ dir: leaf, version: 2 });
    expect(place(ref, "pids", hs)).toBeUndefined();
    // CPU time is a core file on v2: there even without the cpu controller
    expect(place(ref, "cpuacct", hs)).toBeUndefined();
    writeFileSync(join(leaf, "cpu.stat"), "usage_usec 5\n");
    expect(place(ref, "cpuacct", hs)).toEqual({ dir: leaf, version: 2 });
    expect(oomCounter(ref, hs)).toBe(join(leaf, "memory.events"));
    writeFileSync(join(leaf, "memory.events"), "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n");
    expect(oomKills(leaf, 2)).toBe(1);
  });
});

describe("v1 and hybrid", () => {
  function hybrid() {
    const top = fresh();
    const hs: Hierarchy[] = [];
    for (const c of ["cpu,cpuacct", "memory", "freezer", "cpuset"]) {
      mkdirSync(join(top, c));
      hs.push({ mount: join(top, c), version: 1, controllers: c.split(","), root: "/" });
    }
    writeFileSync(join(top, "cpuset", "cpuset.cpus"), "0-1");
    writeFileSync(join(top, "cpuset", "cpuset.mems"), "0");
    mkdirSync(join(top, "unified"));
    hs.push({ mount: join(top, "unified"), version: 2, controllers: [], root: "/" });
    return { top, hs };
  }
  test("each controller in its hierarchy; the unified tree gets the directory only", () => {
    const { top, hs } = hybrid();
    // the kernel makes cpuset.cpus empty in a new v1 cpuset cgroup: our copy fills it
    mkdirSync(join(top, "cpuset", "ctr", "c1"), { recursive: true });
    for (const d of ["ctr", "ctr/c1"]) for (const f of ["cpuset.cpus", "cpuset.mems"]) writeFileSync(join(top, "cpuset", d, f), "");
    const ref = createCgroup("ctr/c1", { memory: 1 << 25, cpus: 1.5 }, hs, sys);
    expect(ref.paths).toEqual(["cpu,cpuacct", "memory", "freezer", "cpuset", "unified"].map((c) => join(top, c, "ctr", "c1")));
    expect(read(join(top, "memory/ctr/c1/memory.limit_in_bytes"))).toBe(String(1 << 25));
    expect(read(join(top, "cpu,cpuacct/ctr/c1/cpu.cfs_quota_us"))).toBe("150000");
    expect(read(join(top, "cpuset/ctr/c1/cpuset.cpus"))).toBe("0-1");
    expect(place(ref, "cpuacct", hs)).toEqual({ dir: join(top, "cpu,cpuacct/ctr/c1"), version: 1 });
    expect(place(ref, "freezer", hs)).toEqual({ dir: join(top, "freezer/ctr/c1"), version: 1 });
    expect(oomCounter(ref, hs)).toBe(join(top, "memory/ctr/c1/memory.oom_control"));
  });
  test("a limit without its controller is refused", () => {
    const { hs } = hybrid();
    expect(() => createCgroup("ctr/c2", { pidsLimit: 3 }, hs, sys)).toThrow("no cgroup controller for the pids limit");
  });
  test("--cgroup-parent: parents ctr made go with the container, the user's own stay", () => {
    const { top, hs } = hybrid();
    const own = hs.filter((h) => h.controllers[0] !== "cpuset"); // no cpuset files to fake
    for (const h of own) mkdirSync(join(h.mount, "theirs"));
    const ref = createCgroup("theirs/made/by/ctr/c3", {}, own, sys);
    expect(ref.created).toContain(join(top, "memory", "theirs", "made"));
    expect(ref.created).not.toContain(join(top, "memory", "theirs"));
    removeCgroup(ref, own);
    for (const h of own) {
      expect(existsSync(join(h.mount, "theirs"))).toBe(true);
      expect(existsSync(join(h.mount, "theirs", "made"))).toBe(false);
    }
  });
  test("the default parent stays for the next container (as docker/ does); removeDefaultParents takes it once empty", () => {
    const { hs } = hybrid();
    const own = hs.filter((h) => h.controllers[0] !== "cpuset");
    const a = createCgroup("ctr/a", {}, own, sys);
    const b = createCgroup("ctr/b", {}, own, sys);
    expect(a.created).toEqual([]);
    removeCgroup(a, own);
    removeDefaultParents(own);
    expect(existsSync(join(own[0]!.mount, "ctr", "b"))).toBe(true);
    removeCgroup(b, own);
    expect(existsSync(join(own[0]!.mount, "ctr"))).toBe(true);
    removeDefaultParents(own);
    expect(existsSync(join(own[0]!.mount, "ctr"))).toBe(false);
  });
  test("a path cannot climb out of the hierarchy", () => {
    const { hs } = hybrid();
    expect(() => createCgroup("../../etc/x", {}, hs, sys)).toThrow(CgroupError);
    expect(() => createCgroup("a/./b", {}, hs, sys)).toThrow("without . or ..");
  });
});

describe("freezer", () => {
  test("v1: FROZEN once the state file says so", () => {
    const d = fresh();
    writeFileSync(join(d, "freezer.state"), "THAWED");
    freeze(d, 1);
    expect(freezerState(d, 1)).toBe("FROZEN");
    thaw(d, 1);
    expect(read(join(d, "freezer.state"))).toBe("THAWED");
  });
  test("v2: asked with cgroup.freeze, done when cgroup.events says frozen 1", () => {
    const d = fresh();
    writeFileSync(join(d, "cgroup.freeze"), "0");
    writeFileSync(join(d, "cgroup.events"), "populated 1\nfrozen 1\n");
    freeze(d, 2);
    expect(read(join(d, "cgroup.freeze"))).toBe("1");
    expect(freezerState(d, 2)).toBe("FROZEN");
  });
  test("v2: a freeze that never completes times out and is undone", () => {
    const d = fresh();
    writeFileSync(join(d, "cgroup.freeze"), "0");
    writeFileSync(join(d, "cgroup.events"), "populated 1\nfrozen 0\n");
    expect(() => freeze(d, 2, 50)).toThrow(FreezeError);
    expect(read(join(d, "cgroup.freeze"))).toBe("0");
  });
  test("cgroup.events parsing", () => {
    expect(eventsFrozen("populated 1\nfrozen 1\n")).toBe(true);
    expect(eventsFrozen("populated 1\nfrozen 0\n")).toBe(false);
  });
});
