// ctr check's judgement of the probe's answers (no container needed), and
// the static-ELF test that decides whether the host's busybox can be the probe.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isStaticElf, judgeProbe } from "../../runtime/check.ts";

const v2 = ["cgroupns 0", "memory 67108864", "pids 64", "cpu 50000 100000", "devnull ok", "kmsg refused", "ip 10.213.0.5/16", "ping 10.213.0.1 ok"].join("\n");
const failed = (out: string, net = true) => judgeProbe(0, out, "", net).filter((c) => !c.ok).map((c) => c.name);

test("a v2 container that saw its limits, its cgroup root and its gateway passes everything", () => {
  expect(failed(v2)).toEqual([]);
  // v1 spelling of the quota
  expect(failed(v2.replace("cpu 50000 100000", "cpu 50000"))).toEqual([]);
});

test("each wrong answer fails its own check, as required", () => {
  expect(failed(v2.replace("memory 67108864", "memory max"))).toEqual(["memory limit"]);
  expect(failed(v2.replace("pids 64", "pids max"))).toEqual(["pids limit"]);
  expect(failed(v2.replace("cgroupns 0", "cgroupns 1"))).toEqual(["cgroup namespace"]);
  expect(failed(v2.replace("kmsg refused", "kmsg opened"))).toEqual(["device allow-list"]);
  expect(failed(v2.replace("ping 10.213.0.1 ok", "ping 10.213.0.1 failed"))).toEqual(["bridge network"]);
  expect(judgeProbe(0, v2, "", true).every((c) => c.required)).toBe(true);
});

test("no network asked: no network check; a container that did not run is one failure with its error", () => {
  expect(judgeProbe(0, v2, "", false).map((c) => c.name)).not.toContain("bridge network");
  const r = judgeProbe(125, "", "ctr: rootfs /x: ENOENT\n", true);
  expect(r).toEqual([{ name: "container", ok: false, required: true, detail: "failed (exit 125): ctr: rootfs /x: ENOENT" }]);
});

const tmp = mkdtempSync(join(tmpdir(), "ctr-elf-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A minimal ELF64 header with one program header of the given type (1 PT_LOAD, 3 PT_INTERP). */
function elf(phType: number): string {
  const b = Buffer.alloc(64 + 56);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // ELFCLASS64
  b.writeBigUInt64LE(64n, 32); // e_phoff
  b.writeUInt16LE(56, 54); // e_phentsize
  b.writeUInt16LE(1, 56); // e_phnum
  b.writeUInt32LE(phType, 64);
  const f = join(tmp, `elf-${phType}`);
  writeFileSync(f, b);
  return f;
}

test("static ELF: no PT_INTERP; a dynamic one, a script or nothing is not", () => {
  expect(isStaticElf(elf(1))).toBe(true);
  expect(isStaticElf(elf(3))).toBe(false);
  const script = join(tmp, "script");
  writeFileSync(script, "#!/bin/sh\n");
  expect(isStaticElf(script)).toBe(false);
  expect(isStaticElf("/nonexistent")).toBe(false);
});
