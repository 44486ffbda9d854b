// A classic-BPF interpreter with the kernel's seccomp semantics, and a
// builder for struct seccomp_data. It lets tests (and `ctr debug`) ask what a
// filter returns for a given syscall without loading it into a kernel.

import { BPF, BPF_MEMWORDS, decode, type Insn } from "./bpf.ts";

/** sizeof(struct seccomp_data) */
export const SECCOMP_DATA_SIZE = 64;

export interface SeccompInput {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  /** Up to six syscall arguments, each a 64-bit register value. */
  args?: readonly (number | bigint)[];
}

/**
 * struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer;
 * __u64 args[6]; }, little-endian as on x86_64.
 */
export function seccompData(input: SeccompInput): Uint8Array {
  const bytes = new Uint8Array(SECCOMP_DATA_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, input.nr >>> 0, true);
  view.setUint32(4, input.arch >>> 0, true);
  view.setBigUint64(8, input.instructionPointer ?? 0n, true);
  (input.args ?? []).forEach((arg, i) => {
    if (i > 5) throw new Error("seccomp_data holds six arguments");
    // Negative numbers are what a C caller passing -1 puts in the register.
    view.setBigUint64(16 + 8 * i, BigInt.asUintN(64, BigInt(arg)), true);
  });
  return bytes;
}

/** Runs a program over data and returns the filter's u32 verdict. */
export function runBpf(program: readonly Insn[] | Uint8Array, data: Uint8Array): number {
  const insns = program instanceof Uint8Array ? decode(program) : program;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const mem = new Uint32Array(BPF_MEMWORDS);
  let A = 0;
  let X = 0;
  let pc = 0;
  // Jumps only go forward, so a program of n instructions runs at most n steps.
  for (let steps = 0; steps <= insns.length; steps++) {
    const insn = insns[pc];
    if (!insn) throw new Error(`bpf: fell off the end at ${pc}`);
    pc++;
    const { code, k } = insn;
    switch (code & 0x07) {
      case BPF.LD:
        A = load(code, k, view, mem, X);
        break;
      case BPF.LDX:
        X = load(code, k, view, mem, X);
        break;
      case BPF.ST:
        mem[k] = A;
        break;
      case BPF.STX:
        mem[k] = X;
        break;
      case BPF.ALU:
        A = alu(code, A, code & BPF.X ? X : k);
        break;
      case BPF.JMP: {
        const op = code & 0xf0;
        if (op === BPF.JA) {
          pc += k;
          break;
        }
        const b = (code & BPF.X ? X : k) >>> 0;
        const a = A >>> 0;
        const taken = op === BPF.JEQ ? a === b : op === BPF.JGT ? a > b : op === BPF.JGE ? a >= b : (a & b) !== 0;
        pc += taken ? insn.jt : insn.jf;
        break;
      }
      case BPF.RET:
        return (code & BPF.A ? A : k) >>> 0;
      case BPF.MISC:
        if (code & BPF.TXA) A = X;
        else X = A;
        break;
    }
  }
  throw new Error("bpf: program did not return");
}

function load(code: number, k: number, view: DataView, mem: Uint32Array, X: number): number {
  switch (code & 0xe0) {
    case BPF.IMM:
      return k >>> 0;
    case BPF.MEM:
      return mem[k]!;
    case BPF.LEN:
      return view.byteLength;
    case BPF.ABS:
      if ((code & 0x18) !== BPF.W || k % 4 !== 0 || k + 4 > view.byteLength) {
        throw new Error(`bpf: load [${k}] not allowed in seccomp`);
      }
      // seccomp_data is host-endian; the kernel hands out native u32 words.
      return view.getUint32(k, true);
  }
  throw new Error(`bpf: unsupported load code 0x${code.toString(16)} (X=${X})`);
}

function alu(code: number, a: number, b: number): number {
  a >>>= 0;
  b >>>= 0;
  switch (code & 0xf0) {
    case BPF.ADD:
      return (a + b) >>> 0;
    case BPF.SUB:
      return (a - b) >>> 0;
    case BPF.MUL:
      return Math.imul(a, b) >>> 0;
    case BPF.DIV:
      return b === 0 ? 0 : Math.floor(a / b) >>> 0;
    case BPF.MOD:
      return b === 0 ? 0 : a % b;
    case BPF.OR:
      return (a | b) >>> 0;
    case BPF.AND:
      return (a & b) >>> 0;
    case BPF.XOR:
      return (a ^ b) >>> 0;
    case BPF.LSH:
      return b >= 32 ? 0 : (a << b) >>> 0;
    case BPF.RSH:
      return b >= 32 ? 0 : a >>> b;
    case BPF.NEG:
      return -a >>> 0;
  }
  throw new Error(`bpf: unknown ALU op 0x${code.toString(16)}`);
}
