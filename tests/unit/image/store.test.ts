import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "ctr-store-"));
process.env.CTR_DATA_ROOT = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { blobPath, getBlob, putBlob, sha256 } = await import("../../../image/store.ts");

test("blobs are stored by digest and verified on write", () => {
  const b = new TextEncoder().encode("layer bytes");
  const d = putBlob(b, sha256(b));
  expect(d).toBe(sha256(b));
  expect(new TextDecoder().decode(getBlob(d))).toBe("layer bytes");
});

test("a blob whose digest does not match is refused and not stored", () => {
  const b = new TextEncoder().encode("tampered");
  const claimed = `sha256:${"0".repeat(64)}`;
  expect(() => putBlob(b, claimed)).toThrow(/digest mismatch: expected sha256:0+, got sha256:[0-9a-f]{64}; not stored/);
  expect(existsSync(blobPath(claimed))).toBe(false);
  expect(existsSync(blobPath(sha256(b)))).toBe(false);
  expect(readdirSync(join(dir, "blobs", "sha256")).some((f) => f.includes("tmp"))).toBe(false);
});
