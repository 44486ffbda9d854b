// --userns-remap: container root is an unprivileged host id; the rootfs is
// shown through an idmapped mount, so its files still look like root's inside
// and what the container writes is owned by the image's ids on disk.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOTFS, testRoot, uniqueName } from "./harness.ts";

const { ctr } = testRoot("userns");
const tmp = mkdtempSync("/tmp/ctr-userns-");
// the remapped root must be able to reach its rootfs (Docker makes its remapped roots 0711 too)
chmodSync(tmp, 0o711);
const rootfs = join(tmp, "rootfs");
Bun.spawnSync(["cp", "-a", ROOTFS, rootfs]);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test("root inside is 100000 outside, and the rootfs looks and writes as root's", () => {
  const name = uniqueName("uns");
  const r = ctr(["run", "-d", "--net", "none", "--userns-remap", "default", "--name", name, rootfs, "sh", "-c", "touch /made-inside; exec sleep 1000"]);
  expect(r.code).toBe(0);
  const pid = Number(ctr(["inspect", "-f", "{{.State.Pid}}", name]).stdout);
  // as the host sees the init
  const status = Bun.file(`/proc/${pid}/status`).text();
  return status.then((s) => {
    expect(/^Uid:\s+(\d+)/m.exec(s)![1]).toBe("100000");
    const inside = ctr(["exec", name, "sh", "-c", "id -u; cat /proc/self/uid_map; stat -c %u /bin/busybox"]).stdout.trim().split("\n");
    expect(inside[0]).toBe("0");
    expect(inside[1]!.trim().split(/\s+/)).toEqual(["0", "100000", "65536"]);
    expect(inside[2]).toBe("0");
    expect(statSync(join(rootfs, "made-inside")).uid).toBe(0);
    ctr(["rm", "-f", name]);
  });
});

test("a host-root-only file stays out of reach of container root", () => {
  const r = ctr(["run", "--rm", "--net", "none", "--userns-remap", "default", "-v", "/etc/shadow:/shadow:ro", rootfs, "sh", "-c", "cat /shadow >/dev/null 2>&1 && echo READ || echo denied"]);
  expect(r.stdout).toBe("denied\n");
});

test("an unknown remap user is refused in one line, nothing left", () => {
  const r = ctr(["run", "--rm", "--net", "none", "--userns-remap", "nosuchremapuser", rootfs, "true"]);
  expect(r.code).toBe(125);
  expect(r.stderr).toContain('no subordinate id range for user "nosuchremapuser"');
  expect(ctr(["ps", "-aq"]).stdout).toBe("");
});

test("a rootfs the remapped root cannot reach gets a one-line hint", () => {
  chmodSync(tmp, 0o700);
  try {
    const r = ctr(["run", "--rm", "--net", "none", "--userns-remap", "default", rootfs, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("EACCES");
    expect(r.stderr).toContain("searchable");
  } finally {
    chmodSync(tmp, 0o711);
  }
});
