import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BPF, BPF_MAXINSNS, decode } from "../../../runtime/process/bpf.ts";
import { runBpf, seccompData } from "../../../runtime/process/bpf-interp.ts";
import { capNames, resolveCaps } from "../../../runtime/process/capabilities.ts";
import {
  AUDIT_ARCH_I386,
  AUDIT_ARCH_X86_64,
  DEFAULT_SECCOMP_PROFILE,
  SECCOMP_RET,
  X32_SYSCALL_BIT,
  actionRet,
  buildSeccomp,
  compileSeccomp,
  disassemble,
  loadProfile,
  resolveProfile,
  retName,
  type SeccompProfile,
} from "../../../runtime/process/seccomp.ts";
import type { SeccompArg, SeccompSyscall } from "../../../runtime/process/seccomp-profile.ts";
import { SYSCALLS_I386 } from "../../../runtime/process/syscalls-i386.ts";
import { SYSCALLS_X86_64 } from "../../../runtime/process/syscalls-x86_64.ts";

const ALLOW = SECCOMP_RET.ALLOW;
const EPERM = SECCOMP_RET.ERRNO | 1;
const ENOSYS = SECCOMP_RET.ERRNO | 38;
const KILL_PROCESS = SECCOMP_RET.KILL_PROCESS;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;

const CLONE_NEWNS = 0x00020000;
const CLONE_NEWCGROUP = 0x02000000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
const SIGCHLD = 17;
/** What glibc's pthread_create passes. */
const CLONE_THREAD_FLAGS = 0x3d0f00;

const defaultCaps = capNames(resolveCaps({}));

/** Compiles once per cap set and answers "what does syscall X get?". */
function filter(profile: SeccompProfile, caps: readonly string[] = defaultCaps, extra: { kernel?: string; enosysForUnknown?: boolean } = {}) {
  const bytes = buildSeccomp(profile, { caps, ...extra });
  return (name: string | number, args: (number | bigint)[] = [], arch = AUDIT_ARCH_X86_64): number => {
    const table = arch === AUDIT_ARCH_I386 ? SYSCALLS_I386 : SYSCALLS_X86_64;
    const nr = typeof name === "number" ? name : table[name];
    if (nr === undefined) throw new Error(`test: no syscall ${name}`);
    return runBpf(bytes, seccompData({ nr, arch, args }));
  };
}

const sys = filter(DEFAULT_SECCOMP_PROFILE);

describe("Docker's default profile, default capabilities", () => {
  test("everyday calls are allowed", () => {
    for (const name of ["read", "write", "execve", "openat", "mmap", "futex", "exit_group", "rt_sigreturn", "arch_prctl", "wait4", "getpid"]) {
      expect(retName(sys(name))).toBe("ALLOW");
    }
  });

  test("dangerous calls fail with EPERM", () => {
    for (const name of [
      "keyctl",
      "add_key",
      "request_key",
      "mount",
      "umount2",
      "kexec_load",
      "kexec_file_load",
      "open_by_handle_at",
      "init_module",
      "finit_module",
      "delete_module",
      "reboot",
      "swapon",
      "swapoff",
      "unshare",
      "setns",
      "bpf",
      "perf_event_open",
      "pivot_root",
      "userfaultfd",
      "acct",
      "iopl",
      "settimeofday",
      "clock_settime",
      "syslog",
      "fsopen",
      "move_mount",
      "quotactl",
    ]) {
      expect(`${name}: ${retName(sys(name))}`).toBe(`${name}: ERRNO(1)`);
    }
    expect(sys("keyctl")).toBe(0x00050001);
  });

  test("clone: plain fork and threads allowed, any namespace flag denied", () => {
    expect(sys("clone", [SIGCHLD])).toBe(ALLOW);
    expect(sys("clone", [CLONE_THREAD_FLAGS])).toBe(ALLOW);
    for (const flag of [CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET]) {
      expect(sys("clone", [flag | SIGCHLD])).toBe(EPERM);
    }
    // libseccomp masks the high word with the mask's high word (0): ignored
    expect(sys("clone", [(1n << 40n) | BigInt(SIGCHLD)])).toBe(ALLOW);
  });

  test("clone3 gets ENOSYS so libc falls back to clone", () => {
    expect(sys("clone3")).toBe(ENOSYS);
  });

  test("personality: only the profile's five values", () => {
    for (const v of [0, 8, 0x20000, 0x20008, 0xffffffff]) expect(sys("personality", [v])).toBe(ALLOW);
    for (const v of [1, 0x0040000, 0x20001, 0x1_0000_0000n, 0xffff_ffff_ffff_ffffn]) expect(sys("personality", [v])).toBe(EPERM);
  });

  test("socket: everything but AF_VSOCK", () => {
    expect(sys("socket", [2])).toBe(ALLOW);
    expect(sys("socket", [1])).toBe(ALLOW);
    expect(sys("socket", [40])).toBe(EPERM);
    expect(sys("socket", [40n | (1n << 32n)])).toBe(ALLOW); // 64-bit compare, as libseccomp
  });

  test("wrong arch is killed", () => {
    expect(sys(0, [], AUDIT_ARCH_AARCH64)).toBe(KILL_PROCESS);
    expect(sys(0, [], 0)).toBe(KILL_PROCESS);
  });

  test("x32 numbers are never allowed", () => {
    expect(sys(X32_SYSCALL_BIT | 0)).toBe(EPERM); // x32 listed in archMap: default action
    expect(sys(X32_SYSCALL_BIT | 39)).toBe(EPERM);
    expect(sys(0xffffffff)).toBe(EPERM);
    const noX32: SeccompProfile = { ...DEFAULT_SECCOMP_PROFILE, archMap: undefined, architectures: ["SCMP_ARCH_X86_64"] };
    expect(filter(noX32)(X32_SYSCALL_BIT | 0)).toBe(KILL_PROCESS);
    const allowAll: SeccompProfile = { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"], syscalls: [] };
    expect(filter(allowAll)(X32_SYSCALL_BIT | 0)).toBe(KILL_PROCESS); // no x32 bypass of a deny list
  });

  test("i386 programs are filtered with i386 numbers", () => {
    const i386 = (name: string, args: number[] = []): number => sys(name, args, AUDIT_ARCH_I386);
    expect(i386("read")).toBe(ALLOW);
    expect(i386("socketcall")).toBe(ALLOW);
    expect(i386("chown32")).toBe(ALLOW);
    expect(i386("mount")).toBe(EPERM);
    expect(i386("keyctl")).toBe(EPERM);
    expect(i386("clone", [CLONE_NEWUSER | SIGCHLD])).toBe(EPERM);
    expect(i386("clone", [SIGCHLD])).toBe(ALLOW);
    expect(i386("personality", [0xffffffff])).toBe(ALLOW);
    expect(i386("arch_prctl")).toBe(ALLOW); // rule gated on the native arch; i386 has the call too, as with libseccomp
    expect(i386("modify_ldt")).toBe(ALLOW);
    expect(i386("ptrace", [0])).toBe(ALLOW);
    const noI386: SeccompProfile = { ...DEFAULT_SECCOMP_PROFILE, archMap: undefined };
    expect(filter(noI386)("read", [], AUDIT_ARCH_I386)).toBe(KILL_PROCESS);
  });

  test("numbers past the profile's newest syscall get ENOSYS, not EPERM", () => {
    expect(sys("cachestat")).toBe(ENOSYS);
    expect(sys("mseal")).toBe(ENOSYS);
    expect(sys(1000)).toBe(ENOSYS);
    expect(sys(X32_SYSCALL_BIT - 1)).toBe(ENOSYS);
    // below the newest one, unknown numbers keep the default action
    expect(sys(400)).toBe(EPERM);
    expect(filter(DEFAULT_SECCOMP_PROFILE, defaultCaps, { enosysForUnknown: false })(1000)).toBe(EPERM);
  });

  test("fits the kernel's 4096-instruction limit, even with every capability", () => {
    for (const caps of [defaultCaps, capNames(resolveCaps({ privileged: true })), []]) {
      const n = compileSeccomp(DEFAULT_SECCOMP_PROFILE, { caps }).length;
      expect(n).toBeLessThanOrEqual(BPF_MAXINSNS);
      expect(n).toBeLessThan(400); // binary search keeps it small
    }
  });
});

describe("capability-conditional rules", () => {
  test("CAP_SYS_ADMIN opens mount, unshare, setns, clone with namespaces, clone3", () => {
    const admin = filter(DEFAULT_SECCOMP_PROFILE, [...defaultCaps, "CAP_SYS_ADMIN"]);
    for (const name of ["mount", "umount2", "unshare", "setns", "sethostname", "fsopen", "bpf", "perf_event_open", "syslog"]) {
      expect(`${name}: ${retName(admin(name))}`).toBe(`${name}: ALLOW`);
    }
    expect(admin("clone", [CLONE_NEWUSER | SIGCHLD])).toBe(ALLOW);
    expect(admin("clone3")).toBe(ALLOW);
    expect(admin("keyctl")).toBe(EPERM);
    expect(admin("reboot")).toBe(EPERM);
  });

  test("each capability opens its own calls only", () => {
    const cases: [string, string[]][] = [
      ["CAP_SYS_BOOT", ["reboot"]],
      ["CAP_SYS_MODULE", ["init_module", "finit_module", "delete_module"]],
      ["CAP_DAC_READ_SEARCH", ["open_by_handle_at"]],
      ["CAP_SYS_PTRACE", ["kcmp", "pidfd_getfd", "process_madvise"]],
      ["CAP_SYS_TIME", ["settimeofday", "clock_settime"]],
      ["CAP_SYS_RAWIO", ["iopl", "ioperm"]],
      ["CAP_SYS_NICE", ["mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node"]],
      ["CAP_SYSLOG", ["syslog"]],
      ["CAP_BPF", ["bpf"]],
      ["CAP_PERFMON", ["perf_event_open"]],
      ["CAP_SYS_PACCT", ["acct"]],
      ["CAP_SYS_TTY_CONFIG", ["vhangup"]],
    ];
    for (const [cap, names] of cases) {
      const f = filter(DEFAULT_SECCOMP_PROFILE, [...defaultCaps, cap.toLowerCase().replace("cap_", "")]);
      for (const name of names) {
        expect(`${cap} ${name}: ${retName(f(name))}`).toBe(`${cap} ${name}: ALLOW`);
        expect(sys(name)).not.toBe(ALLOW);
      }
      expect(f("mount")).toBe(EPERM);
    }
  });

  test("dropping CAP_SYS_CHROOT takes chroot away", () => {
    expect(sys("chroot")).toBe(ALLOW);
    expect(filter(DEFAULT_SECCOMP_PROFILE, capNames(resolveCaps({ capDrop: ["SYS_CHROOT"] })))("chroot")).toBe(EPERM);
  });

  test("minKernel: ptrace needs 4.8 without CAP_SYS_PTRACE", () => {
    expect(sys("ptrace")).toBe(ALLOW); // unknown kernel counts as new enough
    expect(filter(DEFAULT_SECCOMP_PROFILE, defaultCaps, { kernel: "6.1.0-13-amd64" })("ptrace")).toBe(ALLOW);
    expect(filter(DEFAULT_SECCOMP_PROFILE, defaultCaps, { kernel: "4.4.0" })("ptrace")).toBe(EPERM);
    expect(filter(DEFAULT_SECCOMP_PROFILE, [...defaultCaps, "CAP_SYS_PTRACE"], { kernel: "4.4.0" })("ptrace")).toBe(ALLOW);
  });
});

// ---------------------------------------------------------------------------
// An independent, direct evaluation of the documented semantics, used as an
// oracle: the BPF program must agree with it for every syscall number.

function cmpHolds(arg: bigint, a: SeccompArg, wide: boolean): boolean {
  const norm = (v: unknown): bigint => BigInt.asUintN(wide ? 64 : 32, BigInt(v as number));
  const x = norm(arg);
  const v = norm(a.value);
  switch (a.op) {
    case "SCMP_CMP_EQ":
      return x === v;
    case "SCMP_CMP_NE":
      return x !== v;
    case "SCMP_CMP_LT":
      return x < v;
    case "SCMP_CMP_LE":
      return x <= v;
    case "SCMP_CMP_GT":
      return x > v;
    case "SCMP_CMP_GE":
      return x >= v;
    case "SCMP_CMP_MASKED_EQ":
      return (x & v) === norm(a.valueTwo ?? 0);
  }
}

function oracle(
  profile: SeccompProfile,
  caps: string[],
  table: Readonly<Record<string, number>>,
  wide: boolean,
  nr: number,
  args: bigint[],
): number {
  const def = actionRet(profile.defaultAction, profile.defaultErrnoRet);
  const has = (c: string): boolean => caps.includes(c);
  const rules = (profile.syscalls ?? []).filter((r) => {
    if (r.excludes?.arches?.includes("amd64")) return false;
    if (r.excludes?.caps?.some(has)) return false;
    if (r.includes?.arches && !r.includes.arches.includes("amd64")) return false;
    if (r.includes?.caps && !r.includes.caps.every(has)) return false;
    return true;
  });
  let maxNr = -1;
  let uncond: number | undefined;
  const conds: SeccompSyscall[] = [];
  for (const r of rules) {
    for (const n of r.names ?? []) {
      const num = table[n];
      if (num === undefined) continue;
      maxNr = Math.max(maxNr, num);
      if (num !== nr || actionRet(r.action, r.errnoRet) === def) continue;
      if (!r.args?.length) uncond ??= actionRet(r.action, r.errnoRet);
      else conds.push(r);
    }
  }
  if (uncond !== undefined) return uncond;
  for (const r of conds) {
    const a = r.args!;
    const indexes = a.map((x) => x.index);
    const repeated = new Set(indexes).size !== indexes.length;
    const hit = repeated ? a.some((x) => cmpHolds(args[x.index]!, x, wide)) : a.every((x) => cmpHolds(args[x.index]!, x, wide));
    if (hit) return actionRet(r.action, r.errnoRet);
  }
  if (nr > maxNr && def !== ALLOW && def !== SECCOMP_RET.LOG) return ENOSYS;
  return def;
}

/** Deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed;
  };
}

const INTERESTING = [0n, 1n, 8n, 17n, 40n, 0x20000n, 0x20008n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x1_0000_0000n, 0x1_0000_0001n, 0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n];

function argSets(seed: number): bigint[][] {
  const next = rng(seed);
  const sets: bigint[][] = INTERESTING.map((v) => [v, v, v, v, v, v]);
  for (let i = 0; i < 40; i++) {
    sets.push(Array.from({ length: 6 }, () => {
      const pick = next() % 3;
      if (pick === 0) return INTERESTING[next() % INTERESTING.length]!;
      if (pick === 1) return BigInt(next() & 0x7e020fff);
      return (BigInt(next()) << 32n) | BigInt(next());
    }));
  }
  return sets;
}

function agreeWithOracle(profile: SeccompProfile, caps: string[], maxNr = 520): void {
  const bytes = buildSeccomp(profile, { caps });
  for (const [arch, table, wide] of [
    [AUDIT_ARCH_X86_64, SYSCALLS_X86_64, true],
    [AUDIT_ARCH_I386, SYSCALLS_I386, false],
  ] as const) {
    const i386Enabled = resolveProfile(profile, { caps }).some((d) => d.audit === AUDIT_ARCH_I386);
    if (arch === AUDIT_ARCH_I386 && !i386Enabled) continue;
    const conditional = new Set(
      (profile.syscalls ?? []).filter((r) => r.args?.length).flatMap((r) => (r.names ?? []).map((n) => table[n])),
    );
    for (let nr = 0; nr <= maxNr; nr++) {
      const sets = conditional.has(nr) ? argSets(nr) : [[0n, 0n, 0n, 0n, 0n, 0n]];
      for (const args of sets) {
        const got = runBpf(bytes, seccompData({ nr, arch, args }));
        const want = oracle(profile, caps, table, wide, nr, args);
        if (got !== want) {
          throw new Error(`arch 0x${arch.toString(16)} nr ${nr} args ${args.map((a) => "0x" + a.toString(16))}: got ${retName(got)}, want ${retName(want)}`);
        }
      }
    }
  }
}

describe("the program agrees with a direct evaluation of the profile", () => {
  test("default profile under several capability sets", () => {
    agreeWithOracle(DEFAULT_SECCOMP_PROFILE, defaultCaps);
    agreeWithOracle(DEFAULT_SECCOMP_PROFILE, capNames(resolveCaps({ privileged: true })));
    agreeWithOracle(DEFAULT_SECCOMP_PROFILE, []);
    agreeWithOracle(DEFAULT_SECCOMP_PROFILE, [...defaultCaps, "CAP_SYS_ADMIN", "CAP_SYS_NICE"]);
  });

  test("every comparison operator on 64-bit boundaries", () => {
    const ops = ["SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"] as const;
    const names = Object.keys(SYSCALLS_X86_64);
    const syscalls: SeccompSyscall[] = [];
    let i = 0;
    for (const op of ops) {
      for (const value of INTERESTING) {
        const name = names[i++]!;
        syscalls.push({
          names: [name],
          action: "SCMP_ACT_ALLOW",
          args: [{ index: i % 6, op, value, valueTwo: op === "SCMP_CMP_MASKED_EQ" ? value & 0xffff_0000_0000_ffffn : undefined }],
        });
      }
    }
    // Expected results with bits outside the mask can never match.
    for (const [value, valueTwo] of [
      [0xffn, 0x1_0000_0000n],
      [0xff_0000_0000n, 0x1n],
      [0n, 0n],
    ] as const) {
      syscalls.push({ names: [names[i++]!], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_MASKED_EQ", value, valueTwo }] });
    }
    agreeWithOracle({ defaultAction: "SCMP_ACT_ERRNO", syscalls }, [], i + 5);
  });

  test("AND of args in one rule, OR when an index repeats (runc), first conditional rule wins", () => {
    const profile: SeccompProfile = {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        {
          names: ["read"],
          action: "SCMP_ACT_ALLOW",
          args: [
            { index: 0, op: "SCMP_CMP_EQ", value: 1 },
            { index: 2, op: "SCMP_CMP_GT", value: 8 },
          ],
        },
        {
          names: ["write"],
          action: "SCMP_ACT_ALLOW",
          args: [
            { index: 0, op: "SCMP_CMP_EQ", value: 1 },
            { index: 0, op: "SCMP_CMP_EQ", value: 2 },
          ],
        },
        { names: ["open"], action: "SCMP_ACT_ERRNO", errnoRet: 13, args: [{ index: 1, op: "SCMP_CMP_MASKED_EQ", value: 3, valueTwo: 1 }] },
        { names: ["open"], action: "SCMP_ACT_ALLOW", args: [{ index: 1, op: "SCMP_CMP_GE", value: 0 }] },
      ],
    };
    const f = filter(profile);
    expect(f("read", [1, 0, 9])).toBe(ALLOW);
    expect(f("read", [1, 0, 8])).toBe(EPERM);
    expect(f("read", [2, 0, 9])).toBe(EPERM);
    expect(f("write", [1])).toBe(ALLOW);
    expect(f("write", [2])).toBe(ALLOW);
    expect(f("write", [3])).toBe(EPERM);
    expect(f("open", [0, 1])).toBe(SECCOMP_RET.ERRNO | 13); // O_WRONLY refused with EACCES
    expect(f("open", [0, 0])).toBe(ALLOW);
    agreeWithOracle(profile, []);
  });

  test("an unconditional rule beats conditional ones in either order", () => {
    const profile: SeccompProfile = {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        { names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet: 5, args: [{ index: 0, op: "SCMP_CMP_EQ", value: 0 }] },
        { names: ["read"], action: "SCMP_ACT_ALLOW" },
        { names: ["write"], action: "SCMP_ACT_TRAP" },
        { names: ["write"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_EQ", value: 1 }] },
        // same action as the default: dropped, so it cannot shadow the next rule
        { names: ["close"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, op: "SCMP_CMP_EQ", value: 3 }] },
        { names: ["close"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_LT", value: 10 }] },
      ],
    };
    const f = filter(profile);
    expect(f("read", [0])).toBe(ALLOW);
    expect(f("write", [1])).toBe(SECCOMP_RET.TRAP);
    expect(f("close", [3])).toBe(ALLOW);
    expect(f("close", [11])).toBe(EPERM);
  });

  test("a program too big for 8-bit jumps still runs right (long jumps)", () => {
    // Every syscall with its own argument test: the binary search leaves end
    // up far more than 255 instructions from their blocks.
    const syscalls: SeccompSyscall[] = Object.keys(SYSCALLS_X86_64).map((name, i) => ({
      names: [name],
      action: i % 3 === 0 ? "SCMP_ACT_ALLOW" : i % 3 === 1 ? "SCMP_ACT_LOG" : "SCMP_ACT_KILL_PROCESS",
      args: [{ index: i % 6, op: i % 2 ? "SCMP_CMP_LE" : "SCMP_CMP_MASKED_EQ", value: i * 7919, valueTwo: i % 2 ? undefined : 0 }],
    }));
    const profile: SeccompProfile = { defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, syscalls };
    const insns = compileSeccomp(profile, { caps: [] });
    expect(insns.length).toBeGreaterThan(1000);
    expect(insns.length).toBeLessThanOrEqual(BPF_MAXINSNS);
    expect(insns.some((x) => x.code === (BPF.JMP | BPF.JA) && x.k > 255)).toBe(true);
    agreeWithOracle(profile, []);
  });

  test("a profile that cannot fit 4096 instructions is refused, not truncated", () => {
    const syscalls: SeccompSyscall[] = Object.keys(SYSCALLS_X86_64).map((name) => ({
      names: [name],
      action: "SCMP_ACT_ALLOW",
      args: [0, 1, 2, 3, 4, 5].map((index) => ({ index, op: "SCMP_CMP_GE" as const, value: 1n << 40n })),
    }));
    expect(() => compileSeccomp({ defaultAction: "SCMP_ACT_ERRNO", syscalls }, { caps: [] })).toThrow("instructions");
  });
});

describe("actions and profile details", () => {
  test("action values", () => {
    expect(actionRet("SCMP_ACT_ALLOW")).toBe(0x7fff0000);
    expect(actionRet("SCMP_ACT_ERRNO")).toBe(0x00050001);
    expect(actionRet("SCMP_ACT_ERRNO", 38)).toBe(0x00050026);
    expect(actionRet("SCMP_ACT_KILL")).toBe(0);
    expect(actionRet("SCMP_ACT_KILL_THREAD")).toBe(0);
    expect(actionRet("SCMP_ACT_KILL_PROCESS")).toBe(0x80000000);
    expect(actionRet("SCMP_ACT_TRAP")).toBe(0x00030000);
    expect(actionRet("SCMP_ACT_LOG")).toBe(0x7ffc0000);
    expect(actionRet("SCMP_ACT_TRACE")).toBe(0x7ff00001);
    expect(actionRet("SCMP_ACT_TRACE", 7)).toBe(0x7ff00007);
    expect(() => actionRet("SCMP_ACT_NOTIFY")).toThrow("not supported");
    expect(() => actionRet("SCMP_ACT_BOGUS")).toThrow("unknown action");
    expect(() => actionRet("SCMP_ACT_ERRNO", 70000)).toThrow("range");
  });

  test("includes/excludes arches: amd64 and x86_64 both name this machine", () => {
    const profile: SeccompProfile = {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        { names: ["read"], action: "SCMP_ACT_ALLOW", includes: { arches: ["x86_64"] } },
        { names: ["write"], action: "SCMP_ACT_ALLOW", includes: { arches: ["arm64"] } },
        { names: ["close"], action: "SCMP_ACT_ALLOW", excludes: { arches: ["amd64"] } },
        { name: "getpid", action: "SCMP_ACT_ALLOW" },
        { names: ["no_such_call", "chown32", "getppid"], action: "SCMP_ACT_ALLOW" },
      ],
    };
    const f = filter(profile);
    expect(f("read")).toBe(ALLOW);
    expect(f("write")).toBe(EPERM);
    expect(f("close")).toBe(EPERM);
    expect(f("getpid")).toBe(ALLOW);
    expect(f("getppid")).toBe(ALLOW); // unknown names in the same rule are skipped
  });

  test("caps may be given in any spelling", () => {
    const f = filter(DEFAULT_SECCOMP_PROFILE, ["sys_admin"]);
    expect(f("mount")).toBe(ALLOW);
  });

  test("allow-by-default profile: no ENOSYS stub, deny rules apply", () => {
    const f = filter({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mount"], action: "SCMP_ACT_KILL_PROCESS" }] });
    expect(f("mount")).toBe(KILL_PROCESS);
    expect(f("read")).toBe(ALLOW);
    expect(f(1000)).toBe(ALLOW);
  });

  test("bad profiles are rejected with the reason", () => {
    expect(() => buildSeccomp({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 6, op: "SCMP_CMP_EQ", value: 0 }] }] }, { caps: [] })).toThrow("index 6");
    expect(() => buildSeccomp({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_XX" as never, value: 0 }] }] }, { caps: [] })).toThrow("unknown comparison");
    expect(() => buildSeccomp({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_EQ", value: 2 ** 60 }] }] }, { caps: [] })).toThrow("not an exact integer");
    expect(() => buildSeccomp({ defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64"], archMap: [{ architecture: "SCMP_ARCH_X86_64", subArchitectures: null }] }, { caps: [] })).toThrow("archMap");
  });

  test("64-bit values may be written as strings", () => {
    const f = filter({
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, op: "SCMP_CMP_EQ", value: "0xffffffff00000001" }] }],
    });
    expect(f("read", [0xffff_ffff_0000_0001n])).toBe(ALLOW);
    expect(f("read", [1])).toBe(EPERM);
  });

  test("bytes: 8 per instruction, starting with the arch load", () => {
    const bytes = buildSeccomp(DEFAULT_SECCOMP_PROFILE, { caps: defaultCaps });
    expect(bytes.length % 8).toBe(0);
    expect(decode(bytes)).toEqual(compileSeccomp(DEFAULT_SECCOMP_PROFILE, { caps: defaultCaps }));
    expect([...bytes.subarray(0, 8)]).toEqual([0x20, 0, 0, 0, 4, 0, 0, 0]);
  });

  test("disassembly names fields, arches and verdicts", () => {
    const text = disassemble(buildSeccomp(DEFAULT_SECCOMP_PROFILE, { caps: defaultCaps }));
    expect(text).toContain("; arch");
    expect(text).toContain("AUDIT_ARCH_X86_64");
    expect(text).toContain("; args[0] lo");
    expect(text).toContain("ret #0x50001");
    expect(text).toContain("; ERRNO(1)");
    expect(text).toContain("; KILL_PROCESS");
  });
});

describe("the default profile's transcription", () => {
  test("every name it uses is an x86_64 syscall, or belongs to another ABI", () => {
    const names = new Set(DEFAULT_SECCOMP_PROFILE.syscalls!.flatMap((r) => r.names ?? []));
    const missing = [...names].filter((n) => !(n in SYSCALLS_X86_64)).sort();
    // i386-only calls and other arches' calls; none of these exist on x86_64
    expect(missing).toEqual([
      "_llseek", "_newselect", "arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush",
      "chown32", "clock_adjtime64", "clock_getres_time64", "clock_gettime64", "clock_nanosleep_time64",
      "clock_settime64", "fadvise64_64", "fchown32", "fcntl64", "fstat64", "fstatat64", "fstatfs64",
      "ftruncate64", "futex_time64", "getegid32", "geteuid32", "getgid32", "getgroups32", "getresgid32",
      "getresuid32", "getuid32", "io_pgetevents_time64", "ipc", "lchown32", "lstat64", "mmap2",
      "mq_timedreceive_time64", "mq_timedsend_time64", "ppoll_time64", "pselect6_time64", "recv",
      "recvmmsg_time64", "riscv_flush_icache", "rt_sigtimedwait_time64", "s390_pci_mmio_read",
      "s390_pci_mmio_write", "s390_runtime_instr", "sched_rr_get_interval_time64", "semtimedop_time64",
      "send", "sendfile64", "set_tls", "setfsgid32", "setfsuid32", "setgid32", "setgroups32",
      "setregid32", "setresgid32", "setresuid32", "setreuid32", "setuid32", "sigprocmask", "sigreturn",
      "socketcall", "stat64", "statfs64", "stime", "swapcontext", "sync_file_range2", "timer_gettime64",
      "timer_settime64", "timerfd_gettime64", "timerfd_settime64", "truncate64", "ugetrlimit", "umount",
      "utimensat_time64", "waitpid",
    ]);
  });

  test("shape matches upstream: default EPERM, 31 rules, 349 always-allowed names", () => {
    expect(DEFAULT_SECCOMP_PROFILE.defaultAction).toBe("SCMP_ACT_ERRNO");
    expect(DEFAULT_SECCOMP_PROFILE.defaultErrnoRet).toBe(1);
    expect(DEFAULT_SECCOMP_PROFILE.syscalls).toHaveLength(31);
    expect(DEFAULT_SECCOMP_PROFILE.syscalls![0]!.names).toHaveLength(349);
    const blocked = ["keyctl", "add_key", "request_key", "kexec_load", "swapon", "userfaultfd", "pivot_root"];
    for (const name of blocked) expect(DEFAULT_SECCOMP_PROFILE.syscalls!.some((r) => r.names?.includes(name))).toBe(false);
  });

  test("x86_64 table: unique numbers, the well-known ones right", () => {
    const nums = Object.values(SYSCALLS_X86_64);
    expect(new Set(nums).size).toBe(nums.length);
    expect(SYSCALLS_X86_64.read).toBe(0);
    expect(SYSCALLS_X86_64.execve).toBe(59);
    expect(SYSCALLS_X86_64.clone).toBe(56);
    expect(SYSCALLS_X86_64.keyctl).toBe(250);
    expect(SYSCALLS_X86_64.mount).toBe(165);
    expect(SYSCALLS_X86_64.clone3).toBe(435);
    expect(SYSCALLS_X86_64.file_setattr).toBe(469);
    expect(SYSCALLS_I386.mount).toBe(21);
    expect(SYSCALLS_I386.socketcall).toBe(102);
  });
});

describe("loadProfile", () => {
  const dir = mkdtempSync(join(tmpdir(), "ctr-seccomp-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("default and unconfined", () => {
    expect(loadProfile("default")).toBe(DEFAULT_SECCOMP_PROFILE);
    expect(loadProfile("unconfined")).toBeNull();
  });

  test("a Docker JSON file", () => {
    const path = join(dir, "custom.json");
    writeFileSync(path, JSON.stringify({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 13, syscalls: [{ names: ["read", "write", "close"], action: "SCMP_ACT_ALLOW" }] }));
    const profile = loadProfile(path)!;
    const f = filter(profile);
    expect(f("read")).toBe(ALLOW);
    expect(f("open")).toBe(SECCOMP_RET.ERRNO | 13);
    expect(f("stat")).toBe(ENOSYS); // past the newest call the profile names
  });

  test("errors name the file and the rule", () => {
    expect(() => loadProfile(join(dir, "missing.json"))).toThrow("missing.json");
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ not json");
    expect(() => loadProfile(bad)).toThrow("not valid JSON");
    const wrong = join(dir, "wrong.json");
    writeFileSync(wrong, JSON.stringify({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_MAYBE" }] }));
    expect(() => loadProfile(wrong)).toThrow("syscalls[0]");
    writeFileSync(wrong, JSON.stringify({ syscalls: [] }));
    expect(() => loadProfile(wrong)).toThrow("defaultAction");
  });
});
