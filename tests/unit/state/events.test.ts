// The event journal without a daemon: lines in Docker's shape with an exact
// timeNano, rotation past MAX_BYTES, and a reader that follows a rotation.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emitEvent, eventHead, eventLine, eventsPath, MAX_BYTES, nanoOf, readJournal, readSince } from "../../../runtime/state/events.ts";

const root = mkdtempSync(join(tmpdir(), "ctr-events-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("a line is Docker's event JSON; timeNano is written exactly", () => {
  const line = eventLine("container", "start", "abc", { name: "web", image: "busybox" }, 1795917028123456789n);
  expect(JSON.parse(line)).toEqual({
    Type: "container", Action: "start", Actor: { ID: "abc", Attributes: { name: "web", image: "busybox" } }, scope: "local", time: 1795917028, timeNano: 1795917028123456789,
  });
  expect(line).toEndWith(`"timeNano":1795917028123456789}\n`);
  expect(nanoOf(line)).toBe(1795917028123456789n);
  // the head the monitor completes with the times (runtime/native/main.c release_leases) is the same line's
  expect(line.startsWith(eventHead("container", "start", "abc", { name: "web", image: "busybox" }))).toBe(true);
  expect(line.slice(eventHead("container", "start", "abc", { name: "web", image: "busybox" }).length)).toBe(`,"time":1795917028,"timeNano":1795917028123456789}\n`);
});

test("past MAX_BYTES the journal rotates to events.log.1; the reader follows across it, losing nothing", () => {
  const pad = "x".repeat(2000);
  emitEvent("image", "tag", "first", { name: "first", pad }, root);
  const start = readJournal(root);
  expect(start.lines.length).toBe(1);
  const n = Math.ceil(MAX_BYTES / 2000) + 10;
  for (let i = 0; i < n; i++) emitEvent("image", "tag", `id${i}`, { name: `n${i}`, pad }, root);
  expect(existsSync(`${eventsPath(root)}.1`)).toBe(true);
  expect(statSync(eventsPath(root)).size).toBeLessThan(MAX_BYTES);
  // a follower that stood at the first line sees every later one, in order, once
  const next = readSince(start.cursor, root);
  expect(next.lines.map((l) => JSON.parse(l).Actor.ID)).toEqual(Array.from({ length: n }, (_, i) => `id${i}`));
  // and nothing more until something is written
  expect(readSince(next.cursor, root).lines).toEqual([]);
  emitEvent("network", "create", "net1", { name: "n" }, root);
  expect(readSince(next.cursor, root).lines.map((l) => JSON.parse(l).Action)).toEqual(["create"]);
  // a full replay: the rotated generation first, times never going back
  const all = readJournal(root).lines.map(nanoOf);
  expect(all.length).toBeGreaterThan(10);
  expect(all.every((t, i) => i === 0 || t >= all[i - 1]!)).toBe(true);
});

test("a journal that cannot be written does not fail the action", () => {
  expect(() => emitEvent("container", "start", "x", {}, "/proc/no/such/dir")).not.toThrow();
});
