// Name claims: atomic, and nothing left behind by a create killed half-way.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimName, NameError, nameOwner, releaseName } from "../../../runtime/state/names.ts";
import { containerDir, namesDir, setStateRoot, stateRoot } from "../../../runtime/state/paths.ts";

const before = stateRoot();
const root = mkdtempSync(join(tmpdir(), "ctr-names-"));
setStateRoot(root);
afterAll(() => {
  setStateRoot(before);
  rmSync(root, { recursive: true, force: true });
});
const all = () => readdirSync(namesDir());

test("a claim holds the id whole, refuses a second owner, and goes with release", () => {
  mkdirSync(containerDir("a1"), { recursive: true });
  claimName("web", "a1");
  expect(readFileSync(join(namesDir(), "web"), "utf8")).toBe("a1");
  expect(all()).toEqual(["web"]); // no pending file left beside it
  expect(() => claimName("web", "b2")).toThrow(NameError);
  expect(nameOwner("web")).toBe("a1");
  releaseName("web", "b2"); // not its owner: nothing happens
  expect(nameOwner("web")).toBe("a1");
  releaseName("web", "a1");
  expect(all()).toEqual([]);
});

test("a claim whose container is gone, or an empty one (an older ctr killed mid-write), is taken over", () => {
  claimName("db", "gone1");
  claimName("db", "c3");
  expect(nameOwner("db")).toBe("c3");
  writeFileSync(join(namesDir(), "cache"), "");
  claimName("cache", "c4");
  expect(nameOwner("cache")).toBe("c4");
  releaseName("db", "c3");
  releaseName("cache", "c4");
});

test("a create killed between writing its claim and linking it: rm's release removes the pending file", () => {
  writeFileSync(join(namesDir(), ".claim-d5"), "d5");
  releaseName("api", "d5");
  expect(existsSync(join(namesDir(), ".claim-d5"))).toBe(false);
  expect(all()).toEqual([]);
});
