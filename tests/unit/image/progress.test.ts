// A pull's progress as docker shows it: lines when not on a terminal, the byte bar on one. Pure.
import { expect, test } from "bun:test";
import { progressBar, progressLine } from "../../../image/progress.ts";

test("lines: id and status; byte counts are for terminals only", () => {
  expect(progressLine({ id: "latest", status: "Pulling from library/busybox" })).toBe("latest: Pulling from library/busybox");
  expect(progressLine({ status: "Digest: sha256:abc" })).toBe("Digest: sha256:abc");
  expect(progressLine({ id: "abc", status: "Downloading", current: 1, total: 2 })).toBeUndefined();
});

test("the bar: 50 columns, Docker's arrow and sizes (4 significant digits, powers of 1000)", () => {
  expect(progressBar(0, 1000)).toBe(`[${" ".repeat(50)}]       0B/1kB`);
  expect(progressBar(1234567, 3456789)).toBe(`[${"=".repeat(16)}>${" ".repeat(33)}]  1.235MB/3.457MB`);
  expect(progressBar(2048, 2048)).toBe(`[${"=".repeat(50)}]  2.048kB/2.048kB`);
});
