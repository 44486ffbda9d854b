// The device cgroup: CAP_MKNOD is in the default set (as Docker's), so what
// keeps a container from making and opening a host device node is the device
// allow-list. /dev/kmsg (c 1:11) is readable by root on this host and not on
// the list: a default container may create the node but never open it.
import { expect, test } from "bun:test";
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
