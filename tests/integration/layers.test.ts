// Layer unpacking that needs root: file capabilities (CAP_SETFCAP) and
// overlayfs whiteouts (CAP_MKNOD), read back from disk.
import { afterAll, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTar, writeTar } from "../../image/tar.ts";
import { copyLayers } from "../../image/copy.ts";
import { unpackLayer } from "../../image/unpack.ts";
import { lgetxattr } from "../../runtime/sys/libc.ts";

const base = mkdtempSync(join(tmpdir(), "ctr-layers-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const enc = new TextEncoder();

test("file capabilities and user.* xattrs are kept (PAX SCHILY.xattr, binary values)", () => {
  const layer = join(base, "caps");
  // VFS_CAP_REVISION_2, effective; permitted = CAP_NET_RAW (13)
  const cap = new Uint8Array([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const t = writeTar([{ name: "ping", type: "file", mode: 0o755, data: enc.encode("P"), xattrs: { "security.capability": cap, "user.note": enc.encode("hi") } }]);
  expect([...readTar(t)][0]!.pax["SCHILY.xattr.security.capability"]).toBe(Buffer.from(cap).toString("latin1"));
  unpackLayer(t, layer);
  expect(lgetxattr(join(layer, "ping"), "security.capability")).toEqual(cap);
  const note = lgetxattr(join(layer, "ping"), "user.note"); // not every filesystem takes user.* (tmpfs before 6.6)
  if (note) expect(new TextDecoder().decode(note)).toBe("hi");
});

test("every other xattr too (ACLs, trusted.*), also through the copy fallback; overlayfs's own are refused", () => {
  const layer = join(base, "acl");
  // a POSIX ACL as the kernel stores it: version 2, then (tag, perm, id) entries: user::rw- user:1000:r-- group::r-- mask::r-- other::r--
  const acl = Buffer.alloc(4 + 5 * 8);
  acl.writeUInt32LE(2, 0);
  [[0x01, 6, 0xffffffff], [0x02, 4, 1000], [0x04, 4, 0xffffffff], [0x10, 4, 0xffffffff], [0x20, 4, 0xffffffff]].forEach(([tag, perm, id], i) => {
    acl.writeUInt16LE(tag!, 4 + i * 8);
    acl.writeUInt16LE(perm!, 6 + i * 8);
    acl.writeUInt32LE(id!, 8 + i * 8);
  });
  const t = writeTar([{ name: "f", type: "file", mode: 0o644, data: enc.encode("F"), xattrs: { "system.posix_acl_access": new Uint8Array(acl), "trusted.ctr-test": enc.encode("t") } }]);
  const stats = unpackLayer(t, layer);
  expect(stats.skippedXattrs).toBe(0);
  expect(Buffer.from(lgetxattr(join(layer, "f"), "system.posix_acl_access")!)).toEqual(acl);
  expect(new TextDecoder().decode(lgetxattr(join(layer, "f"), "trusted.ctr-test"))).toBe("t");
  const rootfs = copyLayers(join(base, "copy"), [layer]);
  expect(Buffer.from(lgetxattr(join(rootfs, "f"), "system.posix_acl_access")!)).toEqual(acl);
  expect(new TextDecoder().decode(lgetxattr(join(rootfs, "f"), "trusted.ctr-test"))).toBe("t");
});

test("whiteouts become 0:0 devices, opaque dirs get trusted.overlay.opaque", () => {
  const layer = join(base, "wh");
  unpackLayer(writeTar([
    { name: "etc", type: "dir" },
    { name: "etc/.wh.group", type: "file" },
    { name: "tmp", type: "dir" },
    { name: "tmp/.wh..wh..opq", type: "file" },
  ]), layer);
  const st = lstatSync(join(layer, "etc/group"));
  expect(st.isCharacterDevice() && st.rdev === 0).toBe(true);
  expect(new TextDecoder().decode(lgetxattr(join(layer, "tmp"), "trusted.overlay.opaque"))).toBe("y");
});
