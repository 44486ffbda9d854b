// `ctr check` on this host's real kernel (and in the cgroup-v2 VM, which runs
// this file too): every check passes, a bridge container reaches its
// gateway, and a container that cannot run makes it exit 1. A bridge and
// subnet of this file's own (CTR_CONFIG), removed afterwards.
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { detectMode } from "../../cgroup/mode.ts";
import { withNetlink } from "../../net/netlink/client.ts";
import { testRoot } from "./harness.ts";

const { root, ctr: ctrRaw } = testRoot("check");
const BRIDGE = `ctrk${process.pid % 100000}`;
const X = 150 + (process.pid % 50);
writeFileSync(`${root}/ctr.toml`, `[network]\nbridge = "${BRIDGE}"\nsubnet = "10.${X}.9.0/24"\n`);
const ctr = (args: string[]) => ctrRaw(args, { env: { CTR_CONFIG: `${root}/ctr.toml` } });
afterAll(() => withNetlink((nl) => nl.deleteLink(BRIDGE)));

interface Check { name: string; ok: boolean; required: boolean; detail: string }

test("every check passes here, the bridge network included; --json says so", () => {
  const r = ctr(["check", "--json"]);
  const res = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
  expect(res.checks.filter((c) => !c.ok && c.required)).toEqual([]);
  expect([r.code, res.ok]).toEqual([0, true]);
  const by = Object.fromEntries(res.checks.map((c) => [c.name, c]));
  expect(by["cgroup mode"]!.detail).toStartWith(detectMode());
  for (const n of ["container", "memory limit", "pids limit", "cpu quota", "cgroup namespace", "device allow-list", "bridge network"]) expect(by[n]?.ok).toBe(true);
  expect(by["bridge network"]!.detail).toMatch(new RegExp(`^eth0 10\\.${X}\\.9\\.\\d+/24, gateway 10\\.${X}\\.9\\.1 answers$`));
  // nothing left behind: the probe ran with --rm
  expect(ctr(["ps", "-aq"]).stdout).toBe("");
}, 120_000);

test("the table, and exit 1 naming what is missing when the container cannot run", () => {
  const good = ctr(["check", "--net", "none"]);
  expect(good.code).toBe(0);
  expect(good.stdout).toMatch(/^\[ok\] {3}memory limit {15}64 MiB seen inside$/m);
  expect(good.stdout.trim().split("\n").pop()).toBe("ctr works on this host");
  const bad = ctr(["check", "--net", "none", "/nonexistent-rootfs"]);
  expect(bad.code).toBe(1);
  expect(bad.stdout).toMatch(/^\[FAIL\] container {18}failed \(exit 125\): .*nonexistent-rootfs/m);
  expect(bad.stdout.trim().split("\n").pop()).toBe("1 required feature(s) missing: container");
}, 120_000);
