import { expect, test } from "bun:test";
import { assembleDeviceFilter, parseDeviceRule } from "../../../cgroup/controllers/devices-bpf.ts";

test("rules parse as the v1 file syntax; bad ones are refused", () => {
  expect(parseDeviceRule("c 1:3 rwm")).toEqual({ type: "c", major: 1, minor: 3, access: "rwm" });
  expect(parseDeviceRule("b *:* m")).toEqual({ type: "b", major: "*", minor: "*", access: "m" });
  expect(parseDeviceRule("a").type).toBe("a");
  expect(() => parseDeviceRule("c 1:3 x")).toThrow('invalid device cgroup rule "c 1:3 x"');
});

test("each rule is a block whose jumps land on the next rule", () => {
  const p = assembleDeviceFilter([parseDeviceRule("c 1:3 rwm"), parseDeviceRule("b *:* m")]);
  const ops = [...Array(p.length / 8).keys()].map((i) => ({ code: p[i * 8]!, off: new DataView(p.buffer).getInt16(i * 8 + 2, true) }));
  // 6 loads, rule 1: type, major, minor, r0=1, exit; rule 2: type, 3 access ops, r0=1, exit; then r0=0, exit
  expect(ops.length).toBe(6 + 5 + 6 + 2);
  expect(ops.slice(6, 11).map((o) => o.off)).toEqual([4, 3, 2, 0, 0]);
  expect(ops.at(-1)!.code).toBe(0x95);
});
