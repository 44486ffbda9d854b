// Classic BPF (the "struct sock_filter" programs seccomp runs): opcodes, a
// small label-based assembler, the 8-byte wire encoding, a static checker
// mirroring the kernel's, and a disassembler.
//
// The assembler exists because classic BPF conditional jumps carry 8-bit
// forward offsets (jt/jf <= 255). Code is written against labels; assemble()
// lays it out and, wherever a conditional target is too far, rewrites the jump
// into a short conditional over an unconditional BPF_JA (32-bit offset).

export const BPF = {
  // instruction classes
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  MISC: 0x07,
  // ld/ldx sizes
  W: 0x00,
  H: 0x08,
  B: 0x10,
  // ld/ldx modes
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  LEN: 0x80,
  MSH: 0xa0,
  // alu ops
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  // jmp ops
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  // operand source
  K: 0x00,
  X: 0x08,
  // ret source
  A: 0x10,
  // misc ops
  TAX: 0x00,
  TXA: 0x80,
} as const;

/** Kernel limit on program length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Bytes per encoded instruction (struct sock_filter). */
export const INSN_SIZE = 8;
/** Scratch memory words (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;

/** One struct sock_filter. */
export interface Insn {
  code: number; // u16
  jt: number; // u8
  jf: number; // u8
  k: number; // u32
}

export type JumpOp = "jeq" | "jgt" | "jge" | "jset";

const JUMP_CODE: Record<JumpOp, number> = {
  jeq: BPF.JMP | BPF.JEQ | BPF.K,
  jgt: BPF.JMP | BPF.JGT | BPF.K,
  jge: BPF.JMP | BPF.JGE | BPF.K,
  jset: BPF.JMP | BPF.JSET | BPF.K,
};

export class Label {
  constructor(
    readonly id: number,
    readonly name: string,
  ) {}
}

type Item =
  | { kind: "plain"; insn: Insn }
  | { kind: "cond"; code: number; k: number; t: Label; f: Label }
  | { kind: "ja"; target: Label }
  | { kind: "place"; label: Label };

/** How a conditional jump is laid out; only ever widens during relaxation. */
type Form = "short" | "farT" | "farF" | "farBoth";
const FORM_SIZE: Record<Form, number> = { short: 1, farT: 2, farF: 2, farBoth: 3 };

export class Assembler {
  private items: Item[] = [];
  private nextLabel = 0;
  private placed = new Set<number>();

  label(name = ""): Label {
    return new Label(this.nextLabel++, name);
  }

  /** Binds label to the next instruction emitted. */
  place(label: Label): this {
    if (this.placed.has(label.id)) throw new Error(`bpf: label ${label.name || label.id} placed twice`);
    this.placed.add(label.id);
    this.items.push({ kind: "place", label });
    return this;
  }

  /** A = 32-bit word at byte offset (BPF_LD|BPF_W|BPF_ABS). */
  ldAbs(offset: number): this {
    return this.plain(BPF.LD | BPF.W | BPF.ABS, offset);
  }

  /** A &= k. */
  and(k: number): this {
    return this.plain(BPF.ALU | BPF.AND | BPF.K, k);
  }

  /** if (A op k) goto t else goto f. Targets must lie ahead (BPF only jumps forward). */
  jump(op: JumpOp, k: number, t: Label, f: Label): this {
    this.items.push({ kind: "cond", code: JUMP_CODE[op], k: k >>> 0, t, f });
    return this;
  }

  ja(target: Label): this {
    this.items.push({ kind: "ja", target });
    return this;
  }

  ret(k: number): this {
    return this.plain(BPF.RET | BPF.K, k);
  }

  private plain(code: number, k: number): this {
    this.items.push({ kind: "plain", insn: { code, jt: 0, jf: 0, k: k >>> 0 } });
    return this;
  }

  /** Lays the program out, widening far jumps until every offset fits. */
  assemble(): Insn[] {
    const forms: Form[] = this.items.map(() => "short");
    for (;;) {
      const { start, labelPos } = this.layout(forms);
      let changed = false;
      this.items.forEach((item, i) => {
        if (item.kind !== "cond") return;
        const p = start[i]!;
        const t = target(labelPos, item.t) - (p + 1);
        const f = target(labelPos, item.f) - (p + 1);
        if (t < 0 || f < 0) throw new Error("bpf: backward jump");
        // The direct (non-trampoline) side is always target - (p + 1).
        const form = forms[i]!;
        const wantT = form === "farT" || form === "farBoth" || t > 255;
        const wantF = form === "farF" || form === "farBoth" || f > 255;
        const next: Form = wantT && wantF ? "farBoth" : wantT ? "farT" : wantF ? "farF" : "short";
        if (next === form) return;
        forms[i] = next;
        changed = true;
      });
      if (!changed) return this.emit(forms);
    }
  }

  private layout(forms: Form[]): { start: number[]; labelPos: Map<number, number> } {
    const start: number[] = [];
    const labelPos = new Map<number, number>();
    let pc = 0;
    this.items.forEach((item, i) => {
      start[i] = pc;
      if (item.kind === "place") labelPos.set(item.label.id, pc);
      else if (item.kind === "cond") pc += FORM_SIZE[forms[i]!];
      else pc += 1;
    });
    return { start, labelPos };
  }

  private emit(forms: Form[]): Insn[] {
    const { start, labelPos } = this.layout(forms);
    const out: Insn[] = [];
    this.items.forEach((item, i) => {
      const p = start[i]!;
      switch (item.kind) {
        case "place":
          return;
        case "plain":
          out.push({ ...item.insn });
          return;
        case "ja":
          out.push({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: target(labelPos, item.target) - (p + 1) });
          return;
        case "cond": {
          const T = target(labelPos, item.t);
          const F = target(labelPos, item.f);
          const ja = (dest: number, at: number): Insn => ({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: dest - (at + 1) });
          switch (forms[i]!) {
            case "short":
              out.push({ code: item.code, jt: T - (p + 1), jf: F - (p + 1), k: item.k });
              break;
            case "farT":
              out.push({ code: item.code, jt: 0, jf: F - (p + 1), k: item.k }, ja(T, p + 1));
              break;
            case "farF":
              out.push({ code: item.code, jt: T - (p + 1), jf: 0, k: item.k }, ja(F, p + 1));
              break;
            case "farBoth":
              out.push({ code: item.code, jt: 0, jf: 1, k: item.k }, ja(T, p + 1), ja(F, p + 2));
              break;
          }
          return;
        }
      }
    });
    return out;
  }
}

function target(labelPos: Map<number, number>, label: Label): number {
  const pos = labelPos.get(label.id);
  if (pos === undefined) throw new Error(`bpf: label ${label.name || label.id} never placed`);
  return pos;
}

/** struct sock_filter[] -> bytes, little-endian (x86_64 is LE). */
export function encode(insns: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * INSN_SIZE);
  const view = new DataView(bytes.buffer);
  insns.forEach((insn, i) => {
    const o = i * INSN_SIZE;
    view.setUint16(o, insn.code, true);
    view.setUint8(o + 2, insn.jt);
    view.setUint8(o + 3, insn.jf);
    view.setUint32(o + 4, insn.k >>> 0, true);
  });
  return bytes;
}

export function decode(bytes: Uint8Array): Insn[] {
  if (bytes.length % INSN_SIZE !== 0) throw new Error(`bpf: ${bytes.length} bytes is not a whole number of instructions`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const insns: Insn[] = [];
  for (let o = 0; o < bytes.length; o += INSN_SIZE) {
    insns.push({
      code: view.getUint16(o, true),
      jt: view.getUint8(o + 2),
      jf: view.getUint8(o + 3),
      k: view.getUint32(o + 4, true),
    });
  }
  return insns;
}

/**
 * Static checks the kernel applies before it accepts a seccomp filter
 * (bpf_check_classic + seccomp_check_filter), so a bad program fails here with
 * a message rather than as EINVAL from prctl in the executor.
 * dataSize is sizeof(struct seccomp_data) = 64.
 */
export function checkProgram(insns: readonly Insn[], dataSize = 64): void {
  const n = insns.length;
  if (n === 0 || n > BPF_MAXINSNS) throw new Error(`bpf: program has ${n} instructions (1..${BPF_MAXINSNS} allowed)`);
  insns.forEach((insn, pc) => {
    const where = `bpf: instruction ${pc} (${formatInsn(insn, pc)})`;
    const cls = insn.code & 0x07;
    switch (insn.code) {
      case BPF.LD | BPF.W | BPF.ABS:
        if (insn.k >= dataSize || insn.k % 4 !== 0) throw new Error(`${where}: load outside seccomp_data or unaligned`);
        return;
      case BPF.LD | BPF.W | BPF.LEN:
      case BPF.LDX | BPF.W | BPF.LEN:
      case BPF.LD | BPF.IMM:
      case BPF.LDX | BPF.IMM:
      case BPF.MISC | BPF.TAX:
      case BPF.MISC | BPF.TXA:
      case BPF.RET | BPF.K:
      case BPF.RET | BPF.A:
        return;
      case BPF.LD | BPF.MEM:
      case BPF.LDX | BPF.MEM:
      case BPF.ST:
      case BPF.STX:
        if (insn.k >= BPF_MEMWORDS) throw new Error(`${where}: scratch memory index out of range`);
        return;
      case BPF.JMP | BPF.JA:
        if (pc + 1 + insn.k >= n) throw new Error(`${where}: jump past the end`);
        return;
    }
    if (cls === BPF.ALU) {
      const op = insn.code & 0xf0;
      if ((op === BPF.DIV || op === BPF.MOD) && (insn.code & BPF.X) === 0 && insn.k === 0) {
        throw new Error(`${where}: division by constant zero`);
      }
      if (op > BPF.XOR) throw new Error(`${where}: unknown ALU op`);
      return;
    }
    if (cls === BPF.JMP) {
      const op = insn.code & 0xf0;
      if (op !== BPF.JEQ && op !== BPF.JGT && op !== BPF.JGE && op !== BPF.JSET) throw new Error(`${where}: unknown jump`);
      if (pc + 1 + insn.jt >= n || pc + 1 + insn.jf >= n) throw new Error(`${where}: jump past the end`);
      return;
    }
    throw new Error(`${where}: opcode not allowed in seccomp filters`);
  });
  const last = insns[n - 1]!;
  if ((last.code & 0x07) !== BPF.RET) throw new Error("bpf: program does not end in a return");
}

const ALU_NAMES: Record<number, string> = {
  [BPF.ADD]: "add",
  [BPF.SUB]: "sub",
  [BPF.MUL]: "mul",
  [BPF.DIV]: "div",
  [BPF.OR]: "or",
  [BPF.AND]: "and",
  [BPF.LSH]: "lsh",
  [BPF.RSH]: "rsh",
  [BPF.NEG]: "neg",
  [BPF.MOD]: "mod",
  [BPF.XOR]: "xor",
};
const JMP_NAMES: Record<number, string> = { [BPF.JEQ]: "jeq", [BPF.JGT]: "jgt", [BPF.JGE]: "jge", [BPF.JSET]: "jset" };

const hex = (k: number): string => "#0x" + (k >>> 0).toString(16);

/** One instruction in tcpdump -d style, jump targets as absolute indexes. */
export function formatInsn(insn: Insn, pc: number): string {
  const cls = insn.code & 0x07;
  const src = insn.code & BPF.X ? "x" : hex(insn.k);
  switch (cls) {
    case BPF.LD:
    case BPF.LDX: {
      const reg = cls === BPF.LD ? "ld" : "ldx";
      switch (insn.code & 0xe0) {
        case BPF.ABS:
          return `${reg} [${insn.k}]`;
        case BPF.IMM:
          return `${reg} ${hex(insn.k)}`;
        case BPF.MEM:
          return `${reg} M[${insn.k}]`;
        case BPF.LEN:
          return `${reg} len`;
        default:
          return `${reg} ? code=0x${insn.code.toString(16)}`;
      }
    }
    case BPF.ST:
      return `st M[${insn.k}]`;
    case BPF.STX:
      return `stx M[${insn.k}]`;
    case BPF.ALU:
      return (insn.code & 0xf0) === BPF.NEG ? "neg" : `${ALU_NAMES[insn.code & 0xf0] ?? "alu?"} ${src}`;
    case BPF.JMP:
      if ((insn.code & 0xf0) === BPF.JA) return `ja ${pc + 1 + insn.k}`;
      return `${JMP_NAMES[insn.code & 0xf0] ?? "j?"} ${src} jt ${pc + 1 + insn.jt} jf ${pc + 1 + insn.jf}`;
    case BPF.RET:
      return insn.code & BPF.A ? "ret a" : `ret ${hex(insn.k)}`;
    case BPF.MISC:
      return insn.code & BPF.TXA ? "txa" : "tax";
  }
  return `? code=0x${insn.code.toString(16)}`;
}

/** Listing of a whole program; comment() may add a note per instruction. */
export function disassembleInsns(insns: readonly Insn[], comment?: (insn: Insn, pc: number) => string | undefined): string {
  const width = String(insns.length).length;
  return insns
    .map((insn, pc) => {
      const text = `${String(pc).padStart(width, "0")}: ${formatInsn(insn, pc)}`;
      const note = comment?.(insn, pc);
      return note ? `${text.padEnd(40)} ; ${note}` : text;
    })
    .join("\n");
}
