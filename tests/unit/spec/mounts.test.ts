import { describe, expect, test } from "bun:test";
import { SpecError } from "../../../spec/errors.ts";
import { parseMount, parseMountFlag, parseTmpfs, parseVolume } from "../../../spec/mounts.ts";

describe("-v / --volume", () => {
  test("bind, read-write by default", () => {
    expect(parseVolume("/srv/data:/data")).toEqual({ type: "bind", source: "/srv/data", target: "/data", readonly: false, options: [] });
  });
  test("bind, read-only", () => {
    expect(parseVolume("/srv/data:/data:ro")).toEqual({ type: "bind", source: "/srv/data", target: "/data", readonly: true, options: [] });
  });
  test("explicit rw and propagation", () => {
    expect(parseVolume("/a:/b:rw,rshared")).toEqual({ type: "bind", source: "/a", target: "/b", readonly: false, options: ["rshared"] });
  });
  test("relative sources are binds, kept relative for the caller to resolve", () => {
    expect(parseVolume("./data:/data")).toMatchObject({ type: "bind", source: "./data" });
  });
  test("a name is a named volume", () => {
    expect(parseVolume("pgdata:/var/lib/postgresql:ro,nocopy")).toEqual({
      type: "volume", source: "pgdata", target: "/var/lib/postgresql", readonly: true, options: ["nocopy"],
    });
  });
  test("a lone path is an anonymous volume", () => {
    expect(parseVolume("/cache")).toEqual({ type: "volume", target: "/cache", readonly: false, options: [] });
  });
  test("SELinux and consistency modes are accepted and dropped", () => {
    expect(parseVolume("/a:/b:z").options).toEqual([]);
    expect(parseVolume("/a:/b:ro,cached")).toMatchObject({ readonly: true, options: [] });
  });
  test.each([
    ["/a:b", "must be an absolute path"],
    ["/a:/", `can't be "/"`],
    ["/a:/b:rx", 'unknown bind option "rx"'],
    ["/a:/b:ro,rw", "invalid mode"],
    ["/a:/b:ro:extra", "expected [source:]target[:options]"],
    ["bad name!:/b", "invalid characters for a volume name"],
    [":/b", "the source is empty"],
    ["/a:/b:nocopy", 'unknown bind option "nocopy"'],
  ])("rejects %p", (input, msg) => {
    expect(() => parseVolume(input)).toThrow(SpecError);
    expect(() => parseVolume(input)).toThrow(msg);
  });
});

describe("--mount", () => {
  test("bind, readonly", () => {
    expect(parseMountFlag("type=bind,source=/srv,target=/srv,readonly")).toEqual({
      type: "bind", source: "/srv", target: "/srv", readonly: true, options: [],
    });
  });
  test("aliases src/dst/ro=false and propagation", () => {
    expect(parseMountFlag("type=bind,src=/a,dst=/b,ro=false,bind-propagation=rslave")).toEqual({
      type: "bind", source: "/a", target: "/b", readonly: false, options: ["rslave"],
    });
  });
  test("type defaults to volume", () => {
    expect(parseMountFlag("source=cache,target=/cache")).toEqual({ type: "volume", source: "cache", target: "/cache", readonly: false, options: [] });
  });
  test("tmpfs with size and mode", () => {
    expect(parseMountFlag("type=tmpfs,destination=/run,tmpfs-size=64m,tmpfs-mode=1777")).toEqual({
      type: "tmpfs", target: "/run", readonly: false, options: ["size=67108864", "mode=1777"],
    });
  });
  test.each([
    ["type=bind,target=/b", "needs a source"],
    ["type=nfs,target=/b", 'type "nfs" is not bind, volume or tmpfs'],
    ["type=bind,source=/a,target=/b,readonyl", 'unknown field "readonyl"; did you mean "readonly"?'],
    ["type=tmpfs,source=/a,target=/b", "takes no source"],
    ["type=bind,source=/a", "target (path in the container) is missing"],
    ["type=bind,source=/a,target=/b,tmpfs-size=1m", "only apply to type=tmpfs"],
    ["type=tmpfs,target=/b,tmpfs-size=12q", 'invalid size "12q"'],
  ])("rejects %p", (input, msg) => {
    expect(() => parseMountFlag(input)).toThrow(msg);
  });
});

describe("--tmpfs", () => {
  test("size and mode", () => {
    expect(parseTmpfs("/run:size=64m,mode=1777")).toEqual({ type: "tmpfs", target: "/run", readonly: false, options: ["size=67108864", "mode=1777"] });
  });
  test("no options", () => {
    expect(parseTmpfs("/tmp")).toEqual({ type: "tmpfs", target: "/tmp", readonly: false, options: [] });
  });
  test("flags, ro, percentages", () => {
    expect(parseTmpfs("/x:ro,noexec,nosuid,size=50%")).toEqual({ type: "tmpfs", target: "/x", readonly: true, options: ["noexec", "nosuid", "size=50%"] });
  });
  test("errors", () => {
    expect(() => parseTmpfs("/run:mode=999")).toThrow("must be octal digits");
    expect(() => parseTmpfs("/run:sise=1m")).toThrow('unknown option "sise"; did you mean "size"?');
    expect(() => parseTmpfs("run")).toThrow("must be an absolute path");
  });
});

test("parseMount dispatches on the form", () => {
  expect(parseMount("/a:/b").type).toBe("bind");
  expect(parseMount("type=tmpfs,target=/t", "mount").type).toBe("tmpfs");
  expect(parseMount("/t:size=1k", "tmpfs").options).toEqual(["size=1024"]);
});
