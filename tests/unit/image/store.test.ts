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

test("layers unpack as a stream (gzip, zstd, plain); a wrong diff id leaves no layer and no temporary directory", async () => {
  const { writeTar } = await import("../../../image/tar.ts");
  const { unpackLayers } = await import("../../../image/store.ts");
  const { readFileSync } = await import("node:fs");
  const enc = new TextEncoder();
  // one big file (several stream chunks) between small ones
  const big = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => i % 251);
  const tar = writeTar([{ name: "a", type: "dir" }, { name: "a/big", type: "file", data: big }, { name: "a/small", type: "file", data: enc.encode("s") }]);
  const diffId = sha256(tar);
  const gz = (b: Uint8Array) => Bun.gzipSync(b as Uint8Array<ArrayBuffer>);
  const layer = (blob: Uint8Array) => ({ mediaType: "x", digest: putBlob(blob), size: blob.length });
  for (const blob of [gz(tar), Bun.zstdCompressSync(tar as Uint8Array<ArrayBuffer>), tar]) {
    const dirs = await unpackLayers({ schemaVersion: 2, config: layer(enc.encode("{}")), layers: [layer(blob)] } as never, { rootfs: { type: "layers", diff_ids: [diffId] } } as never);
    expect(readFileSync(join(dirs[0]!, "a/big"))).toEqual(Buffer.from(big));
    expect(readFileSync(join(dirs[0]!, "a/small"), "utf8")).toBe("s");
    rmSync(dirs[0]!, { recursive: true });
  }
  const wrong = `sha256:${"1".repeat(64)}`;
  const m = { schemaVersion: 2, config: layer(enc.encode("{}")), layers: [layer(gz(tar))] } as never;
  await expect(unpackLayers(m, { rootfs: { type: "layers", diff_ids: [wrong] } } as never)).rejects.toThrow(/does not match the config's diff id/);
  expect(readdirSync(join(dir, "layers"))).toEqual([]);
});
