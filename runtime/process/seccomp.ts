// Docker seccomp profile -> classic BPF program, assembled here in TypeScript
// so the executor only has to hand the bytes to
// prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) / seccomp(2). No libseccomp.
//
// Semantics follow what Docker gets from runc + libseccomp:
// - Rules are filtered first, as moby's setupSeccomp does: excludes.arches /
//   includes.arches against the native arch ("amd64", "x86_64" accepted too),
//   excludes.caps (any held -> skip) / includes.caps (all held, else skip),
//   minKernel against opts.kernel (unknown kernel counts as new enough).
// - Names unknown on an arch are skipped (libseccomp cannot resolve them).
// - A rule whose action equals the default action is dropped (runc does, as
//   libseccomp refuses it).
// - Args: all comparisons of a rule must hold (AND); but if one argument index
//   appears twice, runc turns the rule into one rule per comparison (OR),
//   because libseccomp cannot AND two tests of one argument. Same here.
// - Per syscall, an unconditional rule wins over every conditional one (a
//   libseccomp rule without args replaces the syscall's argument chains); the
//   first unconditional rule is kept. Conditional rules are tried in profile
//   order, first match wins, else the default action.
// - 64-bit arguments are compared as two 32-bit halves (high, then low),
//   unsigned, as libseccomp does on 64-bit arches; on i386 only the low half
//   exists and is compared.
// - Syscall numbers above the highest one the profile names get ENOSYS, not
//   the default action (runc's "-ENOSYS stub"), so a libc that tries a new
//   call (clone3, fchmodat2, ...) falls back instead of failing with EPERM.
//   Skipped when the default action is ALLOW or LOG.
// - Arches: x86_64 always; i386 (AUDIT_ARCH_I386) when the profile lists
//   SCMP_ARCH_X86 (Docker's default does, via archMap), filtered with the i386
//   numbers. Any other arch value is killed (KILL_PROCESS). x32 calls
//   (nr >= 0x40000000 under AUDIT_ARCH_X86_64) are never matched against
//   rules: they get the default action when the profile lists SCMP_ARCH_X32
//   and the default action denies, and KILL_PROCESS otherwise (an allow-by-
//   default profile must not let x32 numbers bypass its deny rules).
// - SCMP_ACT_TRACE returns SECCOMP_RET_TRACE with errnoRet (default EPERM) as
//   its data; with no ptrace tracer attached the kernel fails the call with
//   ENOSYS. SCMP_ACT_KILL is KILL_THREAD, as in libseccomp.
// - SCMP_ACT_NOTIFY is rejected: the executor has no notification listener.
//
// Program shape: check arch, load nr, then a binary search over syscall-number
// intervals with a uniform outcome; leaves jump to a shared `ret` or to a
// syscall's argument-checking block. Far jumps are handled by the assembler.

import { readFileSync } from "node:fs";
import { Assembler, checkProgram, disassembleInsns, decode, encode, type Insn, type Label } from "./bpf.ts";
import { DEFAULT_SECCOMP_PROFILE } from "./seccomp-default.ts";
import type { SeccompAction, SeccompArg, SeccompFilter, SeccompOp, SeccompProfile, SeccompSyscall, SeccompValue } from "./seccomp-profile.ts";
import { SYSCALLS_I386 } from "./syscalls-i386.ts";
import { SYSCALLS_X86_64 } from "./syscalls-x86_64.ts";

export type { SeccompProfile } from "./seccomp-profile.ts";
export { DEFAULT_SECCOMP_PROFILE } from "./seccomp-default.ts";

export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;
const RET_ACTION_FULL = 0xffff0000;
const RET_DATA = 0x0000ffff;

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
/** __X32_SYSCALL_BIT: x32 calls arrive as x86_64 with this bit set in nr. */
export const X32_SYSCALL_BIT = 0x40000000;

const EPERM = 1;
const ENOSYS = 38;

/** struct seccomp_data offsets */
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLo = (i: number): number => 16 + 8 * i;
const argHi = (i: number): number => 16 + 8 * i + 4;

export interface SeccompBuildOptions {
  /** The container's capabilities, e.g. capNames(resolveCaps(...)); "CAP_" optional, any case. */
  caps: readonly string[];
  /** Host kernel "major.minor[.patch]" for minKernel rules; omitted = assume new enough. */
  kernel?: string;
  /** Return ENOSYS for syscalls newer than any the profile names (runc behaviour). Default true. */
  enosysForUnknown?: boolean;
}

/** One ABI the filter handles: its audit arch value and syscall table. */
interface ArchSpec {
  name: string;
  audit: number;
  table: Readonly<Record<string, number>>;
  /** 64-bit registers: compare both halves of each argument. */
  wide: boolean;
}
const X86_64: ArchSpec = { name: "x86_64", audit: AUDIT_ARCH_X86_64, table: SYSCALLS_X86_64, wide: true };
const I386: ArchSpec = { name: "i386", audit: AUDIT_ARCH_I386, table: SYSCALLS_I386, wide: false };

/** Names a profile may use for the native arch in includes/excludes.arches. */
const NATIVE_ARCH_NAMES = new Set(["amd64", "x86_64"]);

/** One argument comparison, values already parsed to unsigned 64 bits. */
export interface Cmp {
  index: number;
  op: SeccompOp;
  value: bigint;
  valueTwo: bigint;
}

/** What one syscall number does: a fixed verdict, or argument tests. */
export type SyscallDecision =
  | { kind: "ret"; ret: number }
  | { kind: "cond"; alternatives: { cmps: Cmp[]; ret: number }[]; fallback: number };

/** The profile reduced to decisions for one ABI; what the code generator consumes. */
export interface ArchDecisions {
  arch: string;
  audit: number;
  wide: boolean;
  defaultRet: number;
  /** Numbers above this get ENOSYS (undefined: no stub). */
  enosysAbove?: number;
  /** Verdict for nr >= X32_SYSCALL_BIT (x86_64 only). */
  x32Ret?: number;
  syscalls: Map<number, SyscallDecision>;
}

/** Parses an action name (+errno data) into a SECCOMP_RET_* value. */
export function actionRet(action: SeccompAction | string, errnoRet?: number): number {
  const data = (fallback: number): number => {
    const v = errnoRet ?? fallback;
    if (!Number.isInteger(v) || v < 0 || v > RET_DATA) throw new Error(`seccomp: errnoRet ${v} out of range`);
    return v;
  };
  switch (action) {
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return SECCOMP_RET.KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return SECCOMP_RET.KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return SECCOMP_RET.TRAP;
    case "SCMP_ACT_ERRNO":
      return (SECCOMP_RET.ERRNO | data(EPERM)) >>> 0;
    case "SCMP_ACT_TRACE":
      return (SECCOMP_RET.TRACE | data(EPERM)) >>> 0;
    case "SCMP_ACT_LOG":
      return SECCOMP_RET.LOG;
    case "SCMP_ACT_ALLOW":
      return SECCOMP_RET.ALLOW;
    case "SCMP_ACT_NOTIFY":
      throw new Error("seccomp: SCMP_ACT_NOTIFY is not supported (no notification listener)");
  }
  throw new Error(`seccomp: unknown action ${JSON.stringify(action)}`);
}

/** Human name of a SECCOMP_RET_* value, e.g. "ERRNO(1)". */
export function retName(ret: number): string {
  const action = (ret & RET_ACTION_FULL) >>> 0;
  const data = ret & RET_DATA;
  switch (action) {
    case SECCOMP_RET.KILL_PROCESS:
      return "KILL_PROCESS";
    case SECCOMP_RET.KILL_THREAD:
      return "KILL_THREAD";
    case SECCOMP_RET.TRAP:
      return "TRAP";
    case SECCOMP_RET.ERRNO:
      return `ERRNO(${data})`;
    case SECCOMP_RET.USER_NOTIF:
      return "USER_NOTIF";
    case SECCOMP_RET.TRACE:
      return `TRACE(${data})`;
    case SECCOMP_RET.LOG:
      return "LOG";
    case SECCOMP_RET.ALLOW:
      return "ALLOW";
  }
  return `0x${(ret >>> 0).toString(16)}`;
}

function normCap(c: string): string {
  const up = c.trim().toUpperCase();
  return up.startsWith("CAP_") ? up : "CAP_" + up;
}

function parseKernel(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(v.trim());
  if (!m) throw new Error(`seccomp: kernel version ${JSON.stringify(v)} is not "major.minor"`);
  return [Number(m[1]), Number(m[2])];
}

/** kernel >= min; an unknown kernel is taken as new enough. */
function kernelAtLeast(kernel: string | undefined, min: string): boolean {
  const want = parseKernel(min);
  if (kernel === undefined) return true;
  const have = parseKernel(kernel);
  return have[0] > want[0] || (have[0] === want[0] && have[1] >= want[1]);
}

/** moby setupSeccomp's include/exclude filter. */
function ruleApplies(rule: SeccompSyscall, caps: Set<string>, kernel: string | undefined): boolean {
  const ex: SeccompFilter = rule.excludes ?? {};
  const inc: SeccompFilter = rule.includes ?? {};
  if (ex.arches?.some((a) => NATIVE_ARCH_NAMES.has(a))) return false;
  if (ex.caps?.some((c) => caps.has(normCap(c)))) return false;
  if (ex.minKernel && kernelAtLeast(kernel, ex.minKernel)) return false;
  if (inc.arches?.length && !inc.arches.some((a) => NATIVE_ARCH_NAMES.has(a))) return false;
  if (inc.caps?.some((c) => !caps.has(normCap(c)))) return false;
  if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
  return true;
}

function toU64(v: SeccompValue | null | undefined, what: string): bigint {
  if (v === undefined || v === null) return 0n;
  let b: bigint;
  if (typeof v === "bigint") b = v;
  else if (typeof v === "number") {
    // JSON.parse has already rounded anything past 2^53; refuse rather than guess.
    if (!Number.isSafeInteger(v)) throw new Error(`seccomp: ${what} ${v} is not an exact integer (write large values as strings)`);
    b = BigInt(v);
  } else if (typeof v === "string" && /^(-?\d+|0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i.test(v.trim())) {
    b = BigInt(v.trim());
  } else {
    throw new Error(`seccomp: ${what} ${JSON.stringify(v)} is not an integer`);
  }
  // Negative values wrap the way Go's int64 -> uint64 conversion does.
  if (b < -(1n << 63n) || b >= 1n << 64n) throw new Error(`seccomp: ${what} ${b} does not fit 64 bits`);
  return BigInt.asUintN(64, b);
}

const OPS = new Set<SeccompOp>([
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
]);

function parseArg(a: SeccompArg): Cmp {
  if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw new Error(`seccomp: argument index ${a.index} out of range 0..5`);
  if (!OPS.has(a.op)) throw new Error(`seccomp: unknown comparison ${JSON.stringify(a.op)}`);
  return { index: a.index, op: a.op, value: toU64(a.value, "value"), valueTwo: toU64(a.valueTwo, "valueTwo") };
}

/** runc: AND of all args, unless an index repeats, then one alternative per arg. */
function alternatives(args: readonly SeccompArg[] | null | undefined): Cmp[][] {
  const cmps = (args ?? []).map(parseArg);
  const seen = new Set<number>();
  const repeats = cmps.some((c) => (seen.has(c.index) ? true : (seen.add(c.index), false)));
  return repeats ? cmps.map((c) => [c]) : [cmps];
}

function ruleNames(rule: SeccompSyscall): string[] {
  if (rule.name && rule.names?.length) throw new Error(`seccomp: rule uses both "name" and "names"`);
  return rule.name ? [rule.name] : (rule.names ?? []);
}

/** Arch names a profile enables on x86_64 (architectures, or archMap's entry for it). */
function profileArches(profile: SeccompProfile): Set<string> {
  if (profile.architectures?.length && profile.archMap?.length) {
    throw new Error(`seccomp: profile sets both "architectures" and "archMap"`);
  }
  const arches = new Set<string>(["SCMP_ARCH_X86_64"]);
  for (const a of profile.architectures ?? []) arches.add(a);
  for (const m of profile.archMap ?? []) {
    if (m.architecture === "SCMP_ARCH_X86_64") for (const s of m.subArchitectures ?? []) arches.add(s);
  }
  return arches;
}

function isPermissive(ret: number): boolean {
  return ret === SECCOMP_RET.ALLOW || ret === SECCOMP_RET.LOG;
}

/** Reduces a profile to per-ABI decisions (the part worth reading in tests). */
export function resolveProfile(profile: SeccompProfile, opts: SeccompBuildOptions): ArchDecisions[] {
  const defaultRet = actionRet(profile.defaultAction, profile.defaultErrnoRet);
  const caps = new Set(opts.caps.map(normCap));
  const rules = (profile.syscalls ?? []).filter((r) => ruleApplies(r, caps, opts.kernel));
  const arches = profileArches(profile);

  const specs = [X86_64, ...(arches.has("SCMP_ARCH_X86") ? [I386] : [])];
  return specs.map((spec) => {
    const uncond = new Map<number, number>();
    const cond = new Map<number, { cmps: Cmp[]; ret: number }[]>();
    let maxNr = -1;
    for (const rule of rules) {
      const ret = actionRet(rule.action, rule.errnoRet);
      const alts = alternatives(rule.args);
      for (const name of ruleNames(rule)) {
        const nr = spec.table[name];
        if (nr === undefined) continue;
        maxNr = Math.max(maxNr, nr);
        if (ret === defaultRet) continue;
        if (alts.length === 1 && alts[0]!.length === 0) {
          if (!uncond.has(nr)) uncond.set(nr, ret);
        } else {
          const list = cond.get(nr) ?? [];
          for (const cmps of alts) list.push({ cmps, ret });
          cond.set(nr, list);
        }
      }
    }
    const syscalls = new Map<number, SyscallDecision>();
    for (const [nr, alternatives] of cond) {
      if (!uncond.has(nr)) syscalls.set(nr, { kind: "cond", alternatives, fallback: defaultRet });
    }
    for (const [nr, ret] of uncond) syscalls.set(nr, { kind: "ret", ret });

    const enosys =
      (opts.enosysForUnknown ?? true) && !isPermissive(defaultRet) && defaultRet !== ((SECCOMP_RET.ERRNO | ENOSYS) >>> 0);
    const decisions: ArchDecisions = {
      arch: spec.name,
      audit: spec.audit,
      wide: spec.wide,
      defaultRet,
      enosysAbove: enosys && maxNr >= 0 ? maxNr : undefined,
      syscalls,
    };
    if (spec === X86_64) {
      decisions.x32Ret = arches.has("SCMP_ARCH_X32") && !isPermissive(defaultRet) ? defaultRet : SECCOMP_RET.KILL_PROCESS;
    }
    return decisions;
  });
}

/** A run of syscall numbers [start, next start) sharing one outcome. */
interface Interval {
  start: number;
  target: Label;
}

class Codegen {
  readonly asm = new Assembler();
  private rets = new Map<number, Label>();

  /** Shared `ret k` label, emitted once at the end. */
  ret(k: number): Label {
    let l = this.rets.get(k >>> 0);
    if (!l) this.rets.set(k >>> 0, (l = this.asm.label(retName(k))));
    return l;
  }

  emitRets(): void {
    for (const [k, label] of this.rets) this.asm.place(label).ret(k);
  }

  /** Binary search over intervals[a..b) with A holding nr; each leaf is its interval's target. */
  tree(intervals: Interval[], a: number, b: number, self: Label | null): void {
    if (b - a === 1) return; // leaf: callers jump straight to its target
    const mid = (a + b) >> 1;
    const left = mid - a === 1 ? intervals[a]!.target : this.asm.label("lo");
    const right = b - mid === 1 ? intervals[mid]!.target : this.asm.label("hi");
    if (self) this.asm.place(self);
    this.asm.jump("jge", intervals[mid]!.start, right, left);
    if (mid - a > 1) this.tree(intervals, a, mid, left);
    if (b - mid > 1) this.tree(intervals, mid, b, right);
  }

  /** One argument test: falls through / jumps to pass when it holds, to fail otherwise. */
  cmp(c: Cmp, wide: boolean, pass: Label, fail: Label): void {
    const asm = this.asm;
    const lo = Number(c.value & 0xffffffffn);
    const hi = Number(c.value >> 32n);
    const dlo = Number(c.valueTwo & 0xffffffffn);
    const dhi = Number(c.valueTwo >> 32n);
    const loOnly = asm.label("lo");
    // On i386 an argument is 32 bits: the high half is not compared (libseccomp
    // compares only the low word on 32-bit arches).
    const high = (emit: () => void): void => {
      if (wide) emit();
      asm.place(loOnly);
    };
    switch (c.op) {
      case "SCMP_CMP_EQ":
        high(() => asm.ldAbs(argHi(c.index)).jump("jeq", hi, loOnly, fail));
        asm.ldAbs(argLo(c.index)).jump("jeq", lo, pass, fail);
        return;
      case "SCMP_CMP_NE":
        high(() => asm.ldAbs(argHi(c.index)).jump("jeq", hi, loOnly, pass));
        asm.ldAbs(argLo(c.index)).jump("jeq", lo, fail, pass);
        return;
      case "SCMP_CMP_GT":
      case "SCMP_CMP_GE": {
        // hi > v.hi: pass; hi < v.hi: fail; equal: decide on the low half.
        high(() => {
          const eq = asm.label("eq");
          asm.ldAbs(argHi(c.index)).jump("jgt", hi, pass, eq).place(eq).jump("jeq", hi, loOnly, fail);
        });
        asm.ldAbs(argLo(c.index)).jump(c.op === "SCMP_CMP_GT" ? "jgt" : "jge", lo, pass, fail);
        return;
      }
      case "SCMP_CMP_LT":
      case "SCMP_CMP_LE": {
        high(() => {
          const eq = asm.label("eq");
          asm.ldAbs(argHi(c.index)).jump("jgt", hi, fail, eq).place(eq).jump("jeq", hi, loOnly, pass);
        });
        // LT: fail when lo >= v.lo; LE: fail when lo > v.lo.
        asm.ldAbs(argLo(c.index)).jump(c.op === "SCMP_CMP_LT" ? "jge" : "jgt", lo, fail, pass);
        return;
      }
      case "SCMP_CMP_MASKED_EQ":
        // value is the mask, valueTwo the expected masked result. A zero
        // high mask (the usual case: flags fit 32 bits) needs no high test.
        if (hi === 0 && dhi === 0) high(() => {});
        else high(() => asm.ldAbs(argHi(c.index)).and(hi).jump("jeq", dhi, loOnly, fail));
        asm.ldAbs(argLo(c.index)).and(lo).jump("jeq", dlo, pass, fail);
        return;
    }
  }

  /** Argument block of one syscall: alternatives in order, then the fallback. */
  condBlock(self: Label, d: Extract<SyscallDecision, { kind: "cond" }>, wide: boolean): void {
    const asm = this.asm;
    asm.place(self);
    d.alternatives.forEach((alt, n) => {
      // A failed test moves on to the next alternative; after the last one
      // straight to the fallback verdict.
      const last = n === d.alternatives.length - 1;
      const next = last ? this.ret(d.fallback) : asm.label("next");
      alt.cmps.forEach((c, i) => {
        const pass = i === alt.cmps.length - 1 ? this.ret(alt.ret) : asm.label("and");
        this.cmp(c, wide, pass, next);
        if (i !== alt.cmps.length - 1) asm.place(pass);
      });
      if (!last) asm.place(next);
    });
  }
}

const U32_END = 0x1_0000_0000;

/** Code for one ABI, entered with nothing loaded; placed at `entry`. */
function emitArch(g: Codegen, d: ArchDecisions, entry: Label): void {
  const asm = g.asm;
  // Number line split into intervals with a uniform outcome.
  const outcome = new Map<number, Label>(); // nr -> label for single-number outcomes
  const blocks: [Label, Extract<SyscallDecision, { kind: "cond" }>][] = [];
  for (const [nr, dec] of d.syscalls) {
    if (dec.kind === "ret") outcome.set(nr, g.ret(dec.ret));
    else {
      const l = asm.label(`nr${nr}`);
      blocks.push([l, dec]);
      outcome.set(nr, l);
    }
  }
  const defaultL = g.ret(d.defaultRet);
  const points: { start: number; target: Label }[] = [];
  const push = (start: number, target: Label): void => {
    const last = points[points.length - 1];
    if (last && last.target === target) return; // merge runs with the same outcome
    points.push({ start, target });
  };
  const limit = d.x32Ret !== undefined ? X32_SYSCALL_BIT : U32_END;
  const known = [...outcome.keys()].filter((nr) => nr < limit).sort((x, y) => x - y);
  let next = 0;
  for (const nr of known) {
    if (nr > next) push(next, defaultL);
    push(nr, outcome.get(nr)!);
    next = nr + 1;
  }
  if (d.enosysAbove !== undefined && d.enosysAbove + 1 < limit) {
    if (d.enosysAbove + 1 > next) push(next, defaultL);
    push(Math.max(next, d.enosysAbove + 1), g.ret((SECCOMP_RET.ERRNO | ENOSYS) >>> 0));
  } else if (next < limit) {
    push(next, defaultL);
  }
  if (d.x32Ret !== undefined) push(X32_SYSCALL_BIT, g.ret(d.x32Ret));

  asm.place(entry).ldAbs(OFF_NR);
  if (points.length === 1) asm.ja(points[0]!.target);
  else g.tree(points, 0, points.length, null);
  for (const [label, dec] of blocks) g.condBlock(label, dec, d.wide);
}

/** Assembles the filter as instructions (see buildSeccomp for bytes). */
export function compileSeccomp(profile: SeccompProfile, opts: SeccompBuildOptions): Insn[] {
  const arches = resolveProfile(profile, opts);
  const g = new Codegen();
  const asm = g.asm;
  const kill = g.ret(SECCOMP_RET.KILL_PROCESS);
  const entries = arches.map((d) => asm.label(d.arch));

  asm.ldAbs(OFF_ARCH);
  arches.forEach((d, i) => {
    const other = i === arches.length - 1 ? kill : asm.label("arch");
    asm.jump("jeq", d.audit, entries[i]!, other);
    if (other !== kill) asm.place(other);
  });
  arches.forEach((d, i) => emitArch(g, d, entries[i]!));
  g.emitRets();

  const insns = asm.assemble();
  checkProgram(insns);
  return insns;
}

/** The filter as struct sock_filter bytes, ready for the Plan's seccomp step. */
export function buildSeccomp(profile: SeccompProfile, opts: SeccompBuildOptions): Uint8Array {
  return encode(compileSeccomp(profile, opts));
}

/**
 * "default" -> Docker's default profile, "unconfined" -> null (no filter),
 * anything else is a path to a Docker seccomp JSON file.
 */
export function loadProfile(which: string): SeccompProfile | null {
  if (which === "default" || which === "") return DEFAULT_SECCOMP_PROFILE;
  if (which === "unconfined") return null;
  let text: string;
  try {
    text = readFileSync(which, "utf8");
  } catch (err) {
    throw new Error(`seccomp profile ${which}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`seccomp profile ${which}: not valid JSON: ${(err as Error).message}`);
  }
  return validateProfile(parsed, which);
}

/** Shape checks with messages that name the file and the rule. */
export function validateProfile(value: unknown, source = "profile"): SeccompProfile {
  const fail = (msg: string): never => {
    throw new Error(`seccomp profile ${source}: ${msg}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("not a JSON object");
  const p = value as Record<string, unknown>;
  if (typeof p.defaultAction !== "string") fail(`"defaultAction" missing`);
  if (p.syscalls !== undefined && p.syscalls !== null && !Array.isArray(p.syscalls)) fail(`"syscalls" is not a list`);
  const profile = value as SeccompProfile;
  try {
    actionRet(profile.defaultAction, profile.defaultErrnoRet);
  } catch (err) {
    fail((err as Error).message);
  }
  (profile.syscalls ?? []).forEach((rule, i) => {
    const where = `syscalls[${i}]`;
    if (typeof rule !== "object" || rule === null) fail(`${where} is not an object`);
    if (rule.names !== undefined && rule.names !== null && !Array.isArray(rule.names)) fail(`${where}.names is not a list`);
    try {
      ruleNames(rule);
      actionRet(rule.action, rule.errnoRet);
      alternatives(rule.args);
    } catch (err) {
      fail(`${where}: ${(err as Error).message}`);
    }
  });
  return profile;
}

const DATA_FIELDS: Record<number, string> = { [OFF_NR]: "nr", [OFF_ARCH]: "arch", 8: "ip lo", 12: "ip hi" };
for (let i = 0; i < 6; i++) {
  DATA_FIELDS[argLo(i)] = `args[${i}] lo`;
  DATA_FIELDS[argHi(i)] = `args[${i}] hi`;
}
const ARCH_NAMES: Record<number, string> = { [AUDIT_ARCH_X86_64]: "AUDIT_ARCH_X86_64", [AUDIT_ARCH_I386]: "AUDIT_ARCH_I386" };

/** Listing of a seccomp program with seccomp_data fields and verdicts named. */
export function disassemble(program: Uint8Array | readonly Insn[]): string {
  const insns = program instanceof Uint8Array ? decode(program) : program;
  return disassembleInsns(insns, (insn) => {
    if (insn.code === 0x20) return DATA_FIELDS[insn.k];
    if (insn.code === 0x06) return retName(insn.k);
    if (insn.code === 0x15 && ARCH_NAMES[insn.k]) return ARCH_NAMES[insn.k];
    return undefined;
  });
}
