// The device cgroup: CAP_MKNOD is in the default set (as Docker's), so what
// keeps a container from making and opening a host device node is the device
// allow-list. /dev/kmsg (c 1:11) is readable by root on this host and not on
// the list: a default container may create the node but never open it.
import { expect, test } from "bun:test";
import { mkdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_DEVICE_RULES } from "../../cgroup/controllers/devices.ts";
import { assembleDeviceFilter, parseDeviceRule } from "../../cgroup/controllers/devices-bpf.ts";
import { readHierarchies } from "../../cgroup/mode.ts";
import { attachDeviceFilter } from "../../runtime/sys/libc.ts";
import { ROOTFS, testRoot } from "./harness.ts";

const { ctr } = testRoot("dev");
const probe = "mknod /dev/km c 1 11 && echo made; if timeout 1 head -c 1 /dev/km >/dev/null 2>/dev/null; then echo opened; else echo refused; fi";

test("a default container can mknod but not open a device off the allow-list", () => {
  const r = ctr(["run", "--rm", "--net", "none", ROOTFS, "sh", "-c", probe]);
  expect(r.stdout).toBe("made\nrefused\n");
});

test("the allowed devices work", () => {
  const r = ctr(["run", "--rm", "--net", "none", ROOTFS, "sh", "-c", "echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c"]);
  expect(r.stdout.split("\n").map((l) => l.trim())).toEqual(["4", "4", ""]);
});

test("--privileged lifts the allow-list", () => {
  const r = ctr(["run", "--rm", "--net", "none", "--privileged", ROOTFS, "sh", "-c", probe]);
  expect(r.stdout).toBe("made\nopened\n");
});

// cgroup v2's form of the same list: a BPF program on the container's v2
// directory. This host's v1 devices controller would hide it inside a
// container, so the program is tried alone: a cgroup of the controller-less v2
// hierarchy, a host shell moved into it (its v1 devices cgroup allows all).
test("the v2 BPF device program allows the default list and nothing else", () => {
  const v2 = readHierarchies().find((h) => h.version === 2);
  expect(v2).toBeDefined();
  const dir = join(v2!.mount, `ctr-devtest-${process.pid}`);
  mkdirSync(dir);
  try {
    attachDeviceFilter(dir, assembleDeviceFilter(DEFAULT_DEVICE_RULES.map(parseDeviceRule)));
    const sh = [
      `echo $$ > ${dir}/cgroup.procs`,
      "head -c1 /dev/zero >/dev/null && echo zero-ok",
      "if timeout 1 head -c1 /dev/kmsg >/dev/null 2>&1; then echo kmsg-open; else echo kmsg-refused; fi",
      `mknod ${dir}-node c 1 11 2>/dev/null; rm -f ${dir}-node; echo done`,
    ].join("; ");
    const p = Bun.spawnSync(["sh", "-c", sh]);
    expect(p.stdout.toString()).toBe("zero-ok\nkmsg-refused\ndone\n");
  } finally {
    rmdirSync(dir);
  }
});
