// The json-file log reader: --tail read back from the end must give what
// reading it all and keeping the last n gives, at every chunk boundary.
import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LogEntry, LogReader } from "../../../runtime/logs.ts";

const dir = mkdtempSync(join(tmpdir(), "ctr-logs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (i: number, size: number): LogEntry => ({ log: `${i}:${"x".repeat(size)}\n`, stream: i % 3 ? "stdout" : "stderr", time: new Date(1e12 + i).toISOString() });

/** Lines of sizes that straddle the 64 KiB steps: short ones, and some longer than a step. */
function writeLog(path: string, count: number, seed: number): LogEntry[] {
  const all: LogEntry[] = [];
  let text = "";
  for (let i = 0; i < count; i++) {
    const size = (i * seed) % 7 === 0 ? 70000 + ((i * 131) % 5000) : (i * seed * 37) % 900;
    const e = entry(i, size);
    all.push(e);
    text += `${JSON.stringify(e)}\n`;
  }
  writeFileSync(path, text);
  return all;
}

test("last(n) equals the tail of everything, with and without a filter, across chunk boundaries", () => {
  const path = join(dir, "a.log");
  const all = writeLog(path, 120, 3);
  const stdout = (e: LogEntry) => e.stream === "stdout";
  for (const n of [0, 1, 2, 5, 17, 60, 119, 120, 500]) {
    const r = new LogReader(path, false);
    expect(r.last(n, () => true)).toEqual(n === 0 ? [] : all.slice(-n));
    r.close();
    const f = new LogReader(path, false);
    const want = all.filter(stdout);
    expect(f.last(n, stdout)).toEqual(n === 0 ? [] : want.slice(-n));
    f.close();
  }
});

test("a line still being written is not shown by last(), and readNew() completes it afterwards", () => {
  const path = join(dir, "b.log");
  const all = writeLog(path, 10, 5);
  const next = entry(10, 100);
  const line = JSON.stringify(next);
  appendFileSync(path, line.slice(0, 40));
  const r = new LogReader(path, false);
  expect(r.last(3, () => true)).toEqual(all.slice(-3));
  expect(r.readNew()).toEqual([]);
  appendFileSync(path, `${line.slice(40)}\n`);
  expect(r.readNew()).toEqual([next]);
  r.close();
});

test("an empty log, a missing one, and one without a newline yet", () => {
  writeFileSync(join(dir, "empty.log"), "");
  expect(new LogReader(join(dir, "empty.log"), false).last(5, () => true)).toEqual([]);
  expect(new LogReader(join(dir, "nothere.log"), false).last(5, () => true)).toEqual([]);
  writeFileSync(join(dir, "partial.log"), '{"log":"x"');
  const r = new LogReader(join(dir, "partial.log"), false);
  expect(r.last(5, () => true)).toEqual([]);
  r.close();
});
