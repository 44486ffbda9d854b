// Docker's filters and timestamps as the API routes read them. Pure.
import { expect, test } from "bun:test";
import { globRegex, labelsMatch, parseFilters, parseTimestamp } from "../../../api/routes/_filters.ts";
import { ApiError } from "../../../api/route.ts";

const q = (filters: unknown) => new URLSearchParams({ filters: typeof filters === "string" ? filters : JSON.stringify(filters) });

test("both of Docker's filter encodings read the same; false values are not wanted", () => {
  expect(parseFilters(q({ label: { "a=b": true, c: true }, dangling: { true: true } }), ["label", "dangling"])).toEqual(new Map([["label", ["a=b", "c"]], ["dangling", ["true"]]]));
  expect(parseFilters(q({ label: ["a=b", "c"] }), ["label"])).toEqual(new Map([["label", ["a=b", "c"]]]));
  expect(parseFilters(q({ label: { x: false } }), ["label"])).toEqual(new Map([["label", []]]));
  expect(parseFilters(new URLSearchParams(), ["label"]).size).toBe(0);
});

test("an unknown key or a malformed value is a 400", () => {
  const status = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as ApiError).status;
    }
    return 0;
  };
  expect(status(() => parseFilters(q({ colour: ["red"] }), ["label"]))).toBe(400);
  expect(status(() => parseFilters(q("{bad"), ["label"]))).toBe(400);
  expect(status(() => parseFilters(q({ label: "a" }), ["label"]))).toBe(400);
  expect(status(() => parseFilters(q({ label: [1] }), ["label"]))).toBe(400);
  expect(status(() => parseTimestamp("yesterday", "since"))).toBe(400);
});

test("labels: a key, or key=value; every one must hold", () => {
  const f = (l: string[]) => new Map([["label", l]]);
  expect(labelsMatch(f(["a"]), { a: "" })).toBe(true);
  expect(labelsMatch(f(["a=1", "b"]), { a: "1", b: "2" })).toBe(true);
  expect(labelsMatch(f(["a=1"]), { a: "2" })).toBe(false);
  expect(labelsMatch(f(["a"]), null)).toBe(false);
  expect(labelsMatch(new Map(), null)).toBe(true);
});

test("globs stay within one path component, as Go's path.Match", () => {
  expect(globRegex("busy*").test("busybox")).toBe(true);
  expect(globRegex("busy*").test("busy/box")).toBe(false);
  expect(globRegex("127.0.0.1:5000/b?sybox").test("127.0.0.1:5000/busybox")).toBe(true);
  expect(globRegex("a.b").test("axb")).toBe(false);
});

test("timestamps: Docker's seconds.nanoseconds exactly, or an RFC 3339 date", () => {
  expect(parseTimestamp("1795917028.123456789", "since")).toBe(1795917028123456789n);
  expect(parseTimestamp("1795917028", "since")).toBe(1795917028000000000n);
  expect(parseTimestamp("1795917028.5", "since")).toBe(1795917028500000000n);
  expect(parseTimestamp("2026-01-02T03:04:05Z", "until")).toBe(BigInt(Date.parse("2026-01-02T03:04:05Z")) * 1_000_000n);
});
