// The image store's GC lock in one process (the daemon): a shared holder
// awaiting (a pull) and an exclusive request (rmi) must queue, not block the
// event loop on flock for good.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";

const dir = mkdtempSync("/tmp/ctr-unit-gclock-");
process.env.CTR_DATA_ROOT = dir;
const { withGcLock } = await import("../../../image/store.ts");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("shared holders awaiting, then exclusive, then shared: in order, no deadlock", async () => {
  const events: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const pulls = [1, 2].map((n) => withGcLock("shared", async () => {
    events.push(`shared${n} in`);
    await held;
    events.push(`shared${n} out`);
  }));
  await Bun.sleep(10);
  const rmi = withGcLock("exclusive", () => events.push("exclusive"));
  await Bun.sleep(10);
  expect(events).toEqual(["shared1 in", "shared2 in"]);
  release();
  await Promise.all([...pulls, rmi]);
  expect(events.slice(2).sort()).toEqual(["exclusive", "shared1 out", "shared2 out"].sort());
  expect(events.at(-1)).toBe("exclusive");
  // and the gate is open again for both kinds
  expect(await withGcLock("shared", () => 1)).toBe(1);
  expect(await withGcLock("exclusive", () => 2)).toBe(2);
});
