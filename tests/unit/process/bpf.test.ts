import { describe, expect, test } from "bun:test";
import { Assembler, BPF, BPF_MAXINSNS, checkProgram, decode, disassembleInsns, encode, type Insn } from "../../../runtime/process/bpf.ts";
import { runBpf, seccompData } from "../../../runtime/process/bpf-interp.ts";

const data = (nr: number, arg0 = 0n): Uint8Array => seccompData({ nr, arch: 0, args: [arg0] });
const JA = BPF.JMP | BPF.JA;

/** A program whose jump targets lie `gap` instructions away on the chosen sides. */
function farProgram(gap: number, farTrue: boolean, farFalse: boolean): Insn[] {
  const asm = new Assembler();
  const yes = asm.label("yes");
  const no = asm.label("no");
  const nearYes = asm.label("nearYes");
  const nearNo = asm.label("nearNo");
  asm.ldAbs(0).jump("jeq", 7, farTrue ? yes : nearYes, farFalse ? no : nearNo);
  asm.place(nearYes).ret(11);
  asm.place(nearNo).ret(22);
  for (let i = 0; i < gap; i++) asm.ret(0xdead);
  asm.place(yes).ret(1);
  asm.place(no).ret(2);
  return asm.assemble();
}

describe("assembler", () => {
  test("short jumps stay one instruction", () => {
    const insns = farProgram(10, true, true);
    expect(insns.filter((i) => i.code === JA)).toHaveLength(0);
    expect(runBpf(insns, data(7))).toBe(1);
    expect(runBpf(insns, data(8))).toBe(2);
  });

  for (const [farTrue, farFalse] of [
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    test(`far ${farTrue ? "true" : ""}${farTrue && farFalse ? "+" : ""}${farFalse ? "false" : ""} target goes through BPF_JA`, () => {
      const insns = farProgram(600, farTrue, farFalse);
      checkProgram(insns);
      expect(insns.filter((i) => i.code === JA).length).toBe(Number(farTrue) + Number(farFalse));
      expect(runBpf(insns, data(7))).toBe(farTrue ? 1 : 11);
      expect(runBpf(insns, data(8))).toBe(farFalse ? 2 : 22);
    });
  }

  test("relaxation converges when widening one jump pushes another out of range", () => {
    // Many jumps to the same label sitting right at the 255 boundary.
    const asm = new Assembler();
    const end = asm.label("end");
    asm.ldAbs(0);
    for (let i = 0; i < 300; i++) {
      const skip = asm.label();
      asm.jump("jeq", i, end, skip).place(skip);
    }
    asm.ret(0);
    asm.place(end).ret(1);
    const insns = asm.assemble();
    checkProgram(insns);
    for (const nr of [0, 1, 40, 200, 254, 255, 256, 299]) expect(runBpf(insns, data(nr))).toBe(1);
    expect(runBpf(insns, data(300))).toBe(0);
  });

  test("labels must be placed once and jumps go forward", () => {
    const asm = new Assembler();
    const l = asm.label("x");
    asm.place(l);
    expect(() => asm.place(l)).toThrow("placed twice");
    const back = new Assembler();
    const top = back.label("top");
    back.place(top).ldAbs(0).jump("jeq", 1, top, top).ret(0);
    expect(() => back.assemble()).toThrow("backward");
    const missing = new Assembler();
    missing.ja(missing.label("nowhere")).ret(0);
    expect(() => missing.assemble()).toThrow("never placed");
  });
});

describe("encoding", () => {
  test("struct sock_filter is 8 little-endian bytes", () => {
    const bytes = encode([
      { code: BPF.LD | BPF.W | BPF.ABS, jt: 0, jf: 0, k: 4 },
      { code: BPF.JMP | BPF.JEQ | BPF.K, jt: 1, jf: 2, k: 0xc000003e },
      { code: BPF.RET | BPF.K, jt: 0, jf: 0, k: 0x7fff0000 },
    ]);
    expect([...bytes]).toEqual([
      0x20, 0, 0, 0, 4, 0, 0, 0, 0x15, 0, 1, 2, 0x3e, 0, 0, 0xc0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f,
    ]);
    expect(encode(decode(bytes))).toEqual(bytes);
    expect(() => decode(new Uint8Array(7))).toThrow();
  });
});

describe("checkProgram mirrors the kernel's filter checks", () => {
  const ret: Insn = { code: BPF.RET | BPF.K, jt: 0, jf: 0, k: 0 };
  test("accepts a minimal program", () => {
    expect(() => checkProgram([ret])).not.toThrow();
  });
  test("rejects bad programs", () => {
    expect(() => checkProgram([])).toThrow();
    expect(() => checkProgram(Array(BPF_MAXINSNS + 1).fill(ret))).toThrow(`${BPF_MAXINSNS + 1} instructions`);
    expect(() => checkProgram([{ code: BPF.LD | BPF.W | BPF.ABS, jt: 0, jf: 0, k: 2 }, ret])).toThrow("unaligned");
    expect(() => checkProgram([{ code: BPF.LD | BPF.W | BPF.ABS, jt: 0, jf: 0, k: 64 }, ret])).toThrow("outside");
    expect(() => checkProgram([{ code: BPF.LD | BPF.B | BPF.ABS, jt: 0, jf: 0, k: 0 }, ret])).toThrow("not allowed");
    expect(() => checkProgram([{ code: BPF.JMP | BPF.JEQ, jt: 0, jf: 1, k: 0 }, ret])).toThrow("past the end");
    expect(() => checkProgram([{ code: JA, jt: 0, jf: 0, k: 5 }, ret])).toThrow("past the end");
    expect(() => checkProgram([{ code: BPF.LD | BPF.W | BPF.ABS, jt: 0, jf: 0, k: 0 }])).toThrow("return");
    expect(() => checkProgram([{ code: BPF.ALU | BPF.DIV | BPF.K, jt: 0, jf: 0, k: 0 }, ret])).toThrow("zero");
  });
});

describe("interpreter", () => {
  test("loads, ALU, jumps, scratch memory, ret A", () => {
    const asm = [
      { code: BPF.LD | BPF.W | BPF.ABS, jt: 0, jf: 0, k: 16 }, // A = args[0] lo
      { code: BPF.ALU | BPF.AND | BPF.K, jt: 0, jf: 0, k: 0xff },
      { code: BPF.ST, jt: 0, jf: 0, k: 3 },
      { code: BPF.LDX | BPF.IMM, jt: 0, jf: 0, k: 2 },
      { code: BPF.ALU | BPF.MUL | BPF.X, jt: 0, jf: 0, k: 0 },
      { code: BPF.JMP | BPF.JSET | BPF.K, jt: 1, jf: 0, k: 0x100 },
      { code: BPF.LD | BPF.MEM, jt: 0, jf: 0, k: 3 },
      { code: BPF.RET | BPF.A, jt: 0, jf: 0, k: 0 },
    ];
    checkProgram(asm);
    expect(runBpf(asm, data(0, 0x1234n))).toBe(0x34); // 0x34 * 2 = 0x68: no 0x100 bit, reload M[3]
    expect(runBpf(asm, data(0, 0x80n))).toBe(0x100); // 0x80 * 2 = 0x100: bit set, ret A
  });

  test("seccomp_data layout: nr, arch, ip, args as 64-bit little-endian", () => {
    const d = seccompData({ nr: 59, arch: 0xc000003e, instructionPointer: 0x1122334455667788n, args: [1n << 32n, -1] });
    const v = new DataView(d.buffer);
    expect(d.length).toBe(64);
    expect(v.getUint32(0, true)).toBe(59);
    expect(v.getUint32(4, true)).toBe(0xc000003e);
    expect(v.getUint32(8, true)).toBe(0x55667788);
    expect(v.getUint32(16, true)).toBe(0);
    expect(v.getUint32(20, true)).toBe(1);
    expect(v.getUint32(24, true)).toBe(0xffffffff);
    expect(v.getUint32(28, true)).toBe(0xffffffff);
  });

  test("disassembly names jumps by absolute index", () => {
    const text = disassembleInsns(farProgram(3, true, true));
    expect(text).toContain("0: ld [0]");
    expect(text).toContain("1: jeq #0x7 jt 7 jf 8");
  });
});
