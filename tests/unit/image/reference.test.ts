import { expect, test } from "bun:test";
import { canonical, familiar, parseReference, splitRepoTag } from "../../../image/reference.ts";
import { selectPlatform } from "../../../image/manifest.ts";

test("short names resolve as Docker's", () => {
  const c = (s: string) => canonical(parseReference(s));
  expect(c("busybox")).toBe("docker.io/library/busybox:latest");
  expect(c("me/app:1.0")).toBe("docker.io/me/app:1.0");
  expect(c("localhost:5000/app")).toBe("localhost:5000/app:latest");
  expect(c("127.0.0.1:5000/a/b:v2")).toBe("127.0.0.1:5000/a/b:v2");
  expect(c(`alpine@sha256:${"a".repeat(64)}`)).toBe(`docker.io/library/alpine@sha256:${"a".repeat(64)}`);
  expect(familiar("docker.io/library/busybox:latest")).toBe("busybox:latest");
  expect(splitRepoTag("localhost:5000/app:2")).toEqual(["localhost:5000/app", "2"]);
  expect(() => parseReference("Busybox")).toThrow(/invalid reference/);
});

test("platform selection skips other architectures and attestations", () => {
  const d = (arch: string, os = "linux") => ({ mediaType: "m", digest: `sha256:${arch.padEnd(64, "0").slice(0, 64)}`, size: 1, platform: { architecture: arch, os } });
  const ix = { schemaVersion: 2 as const, manifests: [d("arm64"), d("unknown", "unknown"), d("amd64")] };
  expect(selectPlatform(ix, { architecture: "amd64", os: "linux" }).platform?.architecture).toBe("amd64");
  expect(() => selectPlatform(ix, { architecture: "s390x", os: "linux" })).toThrow(/no matching manifest/);
});
