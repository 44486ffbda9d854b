import { describe, expect, test } from "bun:test";
import {
  CAP_LAST_CAP,
  CAPABILITIES,
  DEFAULT_CAPABILITIES,
  capMaskHex,
  capNames,
  capNumber,
  normalizeCapName,
  resolveCaps,
} from "../../../runtime/process/capabilities.ts";

const ALL = (1n << 41n) - 1n;
const bit = (name: string): bigint => 1n << BigInt(CAPABILITIES[name]!);

describe("capability table", () => {
  test("numbers 0..40 without gaps, as in linux/capability.h", () => {
    const numbers = Object.values(CAPABILITIES).sort((a, b) => a - b);
    expect(numbers).toEqual([...Array(41).keys()]);
    expect(CAPABILITIES.CAP_CHOWN).toBe(0);
    expect(CAPABILITIES.CAP_SYS_ADMIN).toBe(21);
    expect(CAPABILITIES.CAP_AUDIT_WRITE).toBe(29);
    expect(CAPABILITIES.CAP_SETFCAP).toBe(31);
    expect(CAPABILITIES.CAP_PERFMON).toBe(38);
    expect(CAPABILITIES.CAP_BPF).toBe(39);
    expect(CAPABILITIES.CAP_CHECKPOINT_RESTORE).toBe(40);
    expect(CAP_LAST_CAP).toBe(40);
  });

  test("names normalise like Docker: any case, CAP_ optional", () => {
    expect(normalizeCapName("net_admin")).toBe("CAP_NET_ADMIN");
    expect(normalizeCapName("Cap_Sys_Admin")).toBe("CAP_SYS_ADMIN");
    expect(normalizeCapName("all")).toBe("ALL");
    expect(capNumber("kill")).toBe(5);
    expect(() => normalizeCapName("foo")).toThrow('unknown capability: "CAP_FOO"');
  });
});

describe("resolveCaps", () => {
  test("default set is Docker's fourteen", () => {
    const mask = resolveCaps({});
    expect(capNames(mask).sort()).toEqual([...DEFAULT_CAPABILITIES].sort());
    expect(DEFAULT_CAPABILITIES).toHaveLength(14);
    // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
    // NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
    expect(capMaskHex(mask)).toBe("a80425fb");
    expect(mask & bit("CAP_SYS_ADMIN")).toBe(0n);
    expect(mask & bit("CAP_NET_ADMIN")).toBe(0n);
  });

  test("privileged gets every capability", () => {
    expect(resolveCaps({ privileged: true })).toBe(ALL);
    expect(capNames(resolveCaps({ privileged: true }))).toHaveLength(41);
    // add/drop do not narrow a privileged container (Docker ignores them)
    expect(resolveCaps({ privileged: true, capDrop: ["CHOWN"] })).toBe(ALL);
  });

  test("--cap-add ALL --cap-drop CHOWN", () => {
    const mask = resolveCaps({ capAdd: ["ALL"], capDrop: ["CHOWN"] });
    expect(mask).toBe(ALL & ~1n);
    expect(capNames(mask)).not.toContain("CAP_CHOWN");
    expect(capNames(mask)).toContain("CAP_SYS_ADMIN");
  });

  test("--cap-drop ALL keeps only the adds", () => {
    expect(resolveCaps({ capDrop: ["all"], capAdd: ["net_bind_service", "CAP_KILL"] })).toBe(
      bit("CAP_NET_BIND_SERVICE") | bit("CAP_KILL"),
    );
    expect(resolveCaps({ capDrop: ["ALL"] })).toBe(0n);
  });

  test("add and drop on the default set, add applied after drop as Docker does", () => {
    const mask = resolveCaps({ capAdd: ["sys_admin"], capDrop: ["chown", "NET_RAW"] });
    expect(mask & bit("CAP_SYS_ADMIN")).not.toBe(0n);
    expect(mask & bit("CAP_CHOWN")).toBe(0n);
    expect(mask & bit("CAP_NET_RAW")).toBe(0n);
    expect(mask & bit("CAP_KILL")).not.toBe(0n);
    // named in both lists: Docker drops from the base, then appends the adds
    expect(resolveCaps({ capAdd: ["KILL"], capDrop: ["KILL"] }) & bit("CAP_KILL")).not.toBe(0n);
  });

  test("unknown names are an error, in either list, even when privileged", () => {
    expect(() => resolveCaps({ capAdd: ["CAP_FOO"] })).toThrow('unknown capability: "CAP_FOO"');
    expect(() => resolveCaps({ capDrop: ["foo"] })).toThrow('unknown capability: "CAP_FOO"');
    expect(() => resolveCaps({ privileged: true, capAdd: ["foo"] })).toThrow("unknown capability");
    expect(() => resolveCaps({ capAdd: ["CAP_ALL"] })).toThrow('unknown capability: "CAP_ALL"');
  });

  test("an older kernel's CAP_LAST_CAP bounds ALL and the names", () => {
    expect(resolveCaps({ privileged: true, lastCap: 37 })).toBe((1n << 38n) - 1n);
    expect(() => resolveCaps({ capAdd: ["BPF"], lastCap: 37 })).toThrow('unknown capability: "CAP_BPF"');
  });

  test("capNames lists bits low to high and shows unknown bits by number", () => {
    expect(capNames(0n)).toEqual([]);
    expect(capNames(bit("CAP_KILL") | 1n)).toEqual(["CAP_CHOWN", "CAP_KILL"]);
    expect(capNames(1n << 45n)).toEqual(["CAP_45"]);
  });
});
