// --device: Docker's HOST[:CONTAINER][:PERMISSIONS] syntax, and the node and
// allow-list rule a host device becomes (stat faked: no root, no devices).
import { expect, test } from "bun:test";
import type { Stats } from "node:fs";
import { HostDeviceError, hostDevices } from "../../../runtime/rootfs/devices.ts";
import { parseDevice } from "../../../spec/resources.ts";

test("the three forms, as Docker reads them", () => {
  expect(parseDevice("/dev/sdc")).toEqual({ hostPath: "/dev/sdc", containerPath: "/dev/sdc", permissions: "rwm" });
  expect(parseDevice("/dev/sdc:/dev/xvdc")).toEqual({ hostPath: "/dev/sdc", containerPath: "/dev/xvdc", permissions: "rwm" });
  expect(parseDevice("/dev/sdc:r")).toEqual({ hostPath: "/dev/sdc", containerPath: "/dev/sdc", permissions: "r" });
  expect(parseDevice("/dev/sdc:/dev/xvdc:rw")).toEqual({ hostPath: "/dev/sdc", containerPath: "/dev/xvdc", permissions: "rw" });
});

test("bad permissions, relative paths and .. are refused with the syntax", () => {
  for (const bad of ["/dev/sdc:/dev/x:rwx", "/dev/sdc:/dev/x:rr", "dev/sdc", "/dev/sdc:xvdc:r", "/dev/sdc:/dev/../etc/x", "/a:/b:r:w"]) {
    expect(() => parseDevice(bad)).toThrow(/invalid device .*HOST_PATH|absolute/);
  }
});

const fakeStat = (kind: "b" | "c" | "f", rdev: number, mode = 0o660) =>
  (() => ({ isBlockDevice: () => kind === "b", isCharacterDevice: () => kind === "c", rdev, mode: 0o60000 | mode }) as unknown as Stats);

test("a block device becomes a node of the same numbers and mode, and its rule", () => {
  const [d] = hostDevices([{ hostPath: "/dev/vda", containerPath: "/dev/xvda", permissions: "rw" }], fakeStat("b", (253 << 8) | 16) as never);
  expect(d).toEqual({ node: { path: "/dev/xvda", hostPath: "/dev/vda", type: "b", major: 253, minor: 16, mode: 0o660 }, rule: "b 253:16 rw" });
  const [c] = hostDevices([{ hostPath: "/dev/ttyS0", containerPath: "/dev/ttyS0", permissions: "rwm" }], fakeStat("c", (4 << 8) | 64, 0o620) as never);
  expect(c!.rule).toBe("c 4:64 rwm");
});

test("a missing path or a regular file is named in the error", () => {
  const missing = () => {
    throw Object.assign(new Error("x"), { code: "ENOENT" });
  };
  expect(() => hostDevices([{ hostPath: "/dev/nope", containerPath: "/dev/nope", permissions: "rwm" }], missing as never)).toThrow(new HostDeviceError("--device /dev/nope: no such device on this host (ENOENT)"));
  expect(() => hostDevices([{ hostPath: "/etc/passwd", containerPath: "/x", permissions: "r" }], fakeStat("f", 0) as never)).toThrow("--device /etc/passwd:/x: not a device node");
});
