// The device allow-list as an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE), the
// way cgroup v2 enforces it (there is no devices.allow file there). The kernel
// runs it on every open/mknod of a device node by a process in the cgroup;
// it returns 1 to allow, 0 to deny. Same rules as the v1 files, same order
// as runc's devicefilter: the first matching rule allows.
//
//   r2 = ctx->access_type & 0xffff   (1 block, 2 char)
//   r3 = ctx->access_type >> 16      (1 mknod, 2 read, 4 write)
//   r4 = ctx->major, r5 = ctx->minor
//   per rule: type, access subset, major, minor; match -> return 1
//   return 0

export interface DeviceRule {
  type: "a" | "b" | "c";
  major: number | "*";
  minor: number | "*";
  access: string; // subset of "rwm"
}

/** "c 1:3 rwm", "b *:* m", "a" -> a rule; throws on anything else. */
export function parseDeviceRule(s: string): DeviceRule {
  const t = s.trim();
  if (t === "a") return { type: "a", major: "*", minor: "*", access: "rwm" };
  const m = /^([abc]) (\*|\d+):(\*|\d+) ([rwm]{1,3})$/.exec(t);
  if (!m) throw new Error(`invalid device cgroup rule "${s}": use e.g. "c 1:3 rwm" or "b *:* m"`);
  const num = (x: string) => (x === "*" ? "*" : Number(x));
  return { type: m[1] as DeviceRule["type"], major: num(m[2]!), minor: num(m[3]!), access: m[4]! };
}

// eBPF opcodes used here
const LDXW = 0x61, AND64K = 0x57, RSH64K = 0x77, MOV64X = 0xbf, MOV64K = 0xb7, JNEK = 0x55, JNEX = 0x5d, EXIT = 0x95;

interface Insn { code: number; dst: number; src: number; off: number; imm: number }
const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

export function assembleDeviceFilter(rules: DeviceRule[]): Uint8Array {
  const prog: Insn[] = [
    insn(LDXW, 2, 1, 0, 0),
    insn(AND64K, 2, 0, 0, 0xffff),
    insn(LDXW, 3, 1, 0, 0),
    insn(RSH64K, 3, 0, 0, 16),
    insn(LDXW, 4, 1, 4, 0),
    insn(LDXW, 5, 1, 8, 0),
  ];
  for (const r of rules) {
    const block: Insn[] = [];
    if (r.type !== "a") block.push(insn(JNEK, 2, 0, 0, r.type === "b" ? 1 : 2));
    const acc = (r.access.includes("m") ? 1 : 0) | (r.access.includes("r") ? 2 : 0) | (r.access.includes("w") ? 4 : 0);
    if (acc !== 7) {
      // the access asked for must be a subset of the rule's: (r3 & acc) == r3
      block.push(insn(MOV64X, 1, 3, 0, 0), insn(AND64K, 1, 0, 0, acc), insn(JNEX, 1, 3, 0, 0));
    }
    if (r.major !== "*") block.push(insn(JNEK, 4, 0, 0, r.major));
    if (r.minor !== "*") block.push(insn(JNEK, 5, 0, 0, r.minor));
    block.push(insn(MOV64K, 0, 0, 0, 1), insn(EXIT, 0, 0, 0, 0));
    // every jump in the block skips to the end of the block (the next rule)
    block.forEach((b, i) => {
      if (b.code === JNEK || b.code === JNEX) b.off = block.length - 1 - i;
    });
    prog.push(...block);
  }
  prog.push(insn(MOV64K, 0, 0, 0, 0), insn(EXIT, 0, 0, 0, 0));
  const out = new Uint8Array(prog.length * 8);
  const v = new DataView(out.buffer);
  prog.forEach((p, i) => {
    v.setUint8(i * 8, p.code);
    v.setUint8(i * 8 + 1, (p.src << 4) | p.dst);
    v.setInt16(i * 8 + 2, p.off, true);
    v.setInt32(i * 8 + 4, p.imm, true);
  });
  return out;
}
