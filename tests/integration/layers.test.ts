// Layer unpacking that needs root: file capabilities (CAP_SETFCAP) and
// overlayfs whiteouts (CAP_MKNOD), read back from disk.
import { afterAll, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTar, writeTar } from "../../image/tar.ts";
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
