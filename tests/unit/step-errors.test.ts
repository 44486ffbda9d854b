// The executor reports (step, errno); runtime/errors.ts turns that into the
// line the user reads. Checked here for the idmapped-rootfs case the v2 VM
// met (a rootfs on tmpfs under Linux 6.1).
import { expect, test } from "bun:test";
import { stepError } from "../../runtime/errors.ts";

test("an idmapped rootfs refused with EINVAL says why and what works", () => {
  const e = stepError([{ op: "IDMAP_ROOTFS", args: ["/r"] }], 0, 22);
  expect(e.message).toBe("idmap_rootfs /r: EINVAL (--userns-remap: the filesystem holding the rootfs cannot be idmapped on this kernel; tmpfs can from Linux 6.3, ext4, xfs and btrfs can)");
  expect(stepError([{ op: "IDMAP_ROOTFS", args: ["/r"] }], 0, 1).message).toBe("idmap_rootfs /r: EPERM");
});
