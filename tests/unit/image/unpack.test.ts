// Layers are hostile until proven otherwise: each trick is built here as a
// tar and must be rejected with one line, touching nothing outside the layer.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTar, readTarStream, writeTar, type WriteEntry } from "../../../image/tar.ts";
import { layerXattrs, unpackLayer } from "../../../image/unpack.ts";

const base = mkdtempSync(join(tmpdir(), "ctr-unpack-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const enc = new TextEncoder();
let n = 0;

/** A layer dir beside an "outside" dir holding a file the layer must never reach. */
function setup() {
  const d = join(base, String(n++));
  mkdirSync(join(d, "outside"), { recursive: true });
  writeFileSync(join(d, "outside", "shadow"), "secret");
  return { layer: join(d, "layer"), outside: join(d, "outside") };
}
const file = (name: string, text = "x"): WriteEntry => ({ name, type: "file", data: enc.encode(text) });

describe("tar", () => {
  test("round trip, long names through PAX", () => {
    const long = `${"d".repeat(80)}/${"f".repeat(90)}`;
    const t = writeTar([{ name: "a", type: "dir" }, file("a/b", "hello"), { name: "l", type: "symlink", linkname: "/bin/busybox" }, file(long, "z")]);
    const got = [...readTar(t)].map((e) => [e.name, e.type, e.type === "file" ? new TextDecoder().decode(e.data) : e.linkname]);
    expect(got).toEqual([["a", "dir", ""], ["a/b", "file", "hello"], ["l", "symlink", "/bin/busybox"], [long, "file", "z"]]);
  });
  test("a corrupt header is an error, not a guess", () => {
    const t = writeTar([file("a")]);
    t[10] = 0x41;
    expect(() => [...readTar(t)]).toThrow(/checksum/);
  });
  test("the stream reader reads what the buffer reader reads, however the chunks fall (an empty file's header ending a chunk)", async () => {
    const t = writeTar([file("a", "x".repeat(700)), file("empty", ""), file("b", "y"), file("empty2", "")]);
    const want = [...readTar(t)].map((e) => [e.name, e.data.length]);
    expect(want).toEqual([["a", 700], ["empty", 0], ["b", 1], ["empty2", 0]]);
    // every chunk size from one block up, and cuts just after each header
    const cuts = [[512], [1536, 512], [2048], [1024, 1024, 1536, 512], [1, 511, 1536]];
    for (let size = 512; size <= t.length; size += 512) cuts.push([size]);
    for (const pattern of cuts) {
      async function* chunks() {
        let off = 0;
        for (let i = 0; off < t.length; i++) {
          const n = pattern[i % pattern.length]!;
          yield t.slice(off, off + n);
          off += n;
        }
      }
      const got: (string | number)[][] = [];
      for await (const e of readTarStream(chunks())) got.push([e.name, e.data.length]);
      expect(got).toEqual(want);
    }
  });
});

describe("unpack", () => {
  test("files, dirs, symlinks, hard links, modes", () => {
    const { layer } = setup();
    unpackLayer(writeTar([
      { name: "bin", type: "dir" },
      { ...file("bin/busybox", "BB"), mode: 0o755 },
      { name: "bin/sh", type: "symlink", linkname: "busybox" },
      { name: "bin/ls", type: "hardlink", linkname: "bin/busybox" },
      file("./etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
    ]), layer);
    expect(readFileSync(join(layer, "bin/ls"), "utf8")).toBe("BB");
    expect(readlinkSync(join(layer, "bin/sh"))).toBe("busybox");
    expect(lstatSync(join(layer, "bin/busybox")).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(layer, "bin/ls")).ino).toBe(lstatSync(join(layer, "bin/busybox")).ino);
    expect(existsSync(join(layer, "etc/passwd"))).toBe(true);
  });

  const hostile: [string, (outside: string) => WriteEntry[], RegExp][] = [
    ["../ in a path", () => [file("../outside/shadow", "pwned")], /leaves the layer/],
    ["../../etc/x", () => [file("a/../../../etc/x", "pwned")], /leaves the layer/],
    ["an absolute path", (o) => [file(`${o}/shadow`, "pwned")], /absolute path/],
    ["a symlink then a write through it", (o) => [{ name: "evil", type: "symlink", linkname: o }, file("evil/shadow", "pwned")], /through the symlink/],
    ["a relative symlink out then a write", () => [{ name: "evil", type: "symlink", linkname: "../outside" }, file("evil/shadow", "pwned")], /through the symlink/],
    ["a hard link to a file outside", (o) => [{ name: "h", type: "hardlink", linkname: `${o}/shadow` }], /absolute path/],
    ["a hard link through ..", () => [{ name: "h", type: "hardlink", linkname: "../outside/shadow" }], /leaves the layer/],
    ["a hard link through a symlink", (o) => [{ name: "evil", type: "symlink", linkname: o }, { name: "h", type: "hardlink", linkname: "evil/shadow" }], /through the symlink/],
    ["a whiteout named ..", () => [file("a/.wh...", "")], /leaves the layer/],
  ];
  for (const [what, entries, err] of hostile) {
    test(`rejects ${what}, outside untouched`, () => {
      const { layer, outside } = setup();
      expect(() => unpackLayer(writeTar(entries(outside)), layer)).toThrow(err);
      expect(readFileSync(join(outside, "shadow"), "utf8")).toBe("secret");
      expect(existsSync(join(outside, "..", "etc"))).toBe(false);
    });
  }

  test("a forged overlayfs attribute rejects the layer", () => {
    const { layer } = setup();
    const t = writeTar([{ name: "d", type: "dir", xattrs: { "trusted.overlay.redirect": enc.encode("/etc") } }]);
    expect(() => unpackLayer(t, layer)).toThrow(/overlayfs attribute trusted.overlay.redirect/);
  });

  test("a symlink replaced by a file is a file, not a write through it", () => {
    const { layer, outside } = setup();
    unpackLayer(writeTar([{ name: "s", type: "symlink", linkname: join(outside, "shadow") }, file("s", "mine")]), layer);
    expect(readFileSync(join(layer, "s"), "utf8")).toBe("mine");
    expect(readFileSync(join(outside, "shadow"), "utf8")).toBe("secret");
  });
});

describe("xattr records", () => {
  test("GNU/star SCHILY.xattr (raw bytes) and bsdtar LIBARCHIVE.xattr (%-escaped name, base64 value)", () => {
    const x = layerXattrs({
      "SCHILY.xattr.security.capability": "\x01\x00\xff",
      "LIBARCHIVE.xattr.user.a%20b": Buffer.from([0, 1, 2]).toString("base64"),
      path: "ignored",
    });
    expect(x.map(([n, v]) => [n, [...v]])).toEqual([["security.capability", [1, 0, 255]], ["user.a b", [0, 1, 2]]]);
  });
});
