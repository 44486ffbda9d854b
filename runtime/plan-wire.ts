/*
 * The Plan on the wire, TS -> executor (runtime/native/plan.h has the C side
 * and the sequence diagram). Records of
 *   u32 op | u32 argc | argc x (u32 len | bytes)
 * closed by op END; numbers travel as decimal (or hex, for masks) strings.
 */

/** Op numbers; keep in step with enum op_kind in runtime/native/plan.h. */
export const OP = {
  END: 0,
  MODE: 1, CLONE_FLAGS: 2, STATE_DIR: 3, LOG_PATH: 4, STDIO: 5, ATTACH: 6, UID_MAP: 7, GID_MAP: 8,
  CGROUP_JOIN: 9, SETNS: 10, EXEC_FIFO: 11, RESTART: 12, WINSIZE: 13, ON_EXIT: 14, IDMAP_ROOTFS: 15, CONSOLE_SOCKET: 16, EVENTS: 17,
  OOM_COUNTER: 19,
  PROPAGATION: 20, ROOTFS: 21, MOUNT: 22, MKNOD: 23, BIND_DEV: 24, SYMLINK: 25, PIVOT_ROOT: 26,
  MASK: 27, READONLY: 28, ROOT_READONLY: 29, HOSTNAME: 30, DOMAINNAME: 31, LO_UP: 32, SYSCTL: 33,
  RLIMIT: 34, CHDIR: 35, USER: 36, CAP_BOUNDING: 37, CAPSET: 38, NO_NEW_PRIVS: 39, SECCOMP: 40,
  ENV: 41, ARGV: 42, PTY: 43, EXEC: 44, SETNS_CHILD: 45, UNSHARE: 46, PRESERVE_FDS: 47,
  CRIU_RESTORE: 48, INHERIT_FD: 49, GATE: 50, NETNS: 51,
  HOOK: 60,
  NET_VETH: 70, NET_ADDR: 71, NET_ROUTE: 72, NET_NFT: 73, NET_LO: 74, NET_RELEASE: 75,
} as const;

export type OpName = Exclude<keyof typeof OP, "END">;

export interface Step {
  op: OpName;
  args: (string | Uint8Array)[];
}

/** One buffer, grown by doubling: a Uint8Array and a DataView per number cost ~3 ms on a cold start. */
export function encodePlan(steps: Step[]): Uint8Array {
  const enc = new TextEncoder();
  let buf = new Uint8Array(1 << 14);
  let view = new DataView(buf.buffer);
  let off = 0;
  const room = (n: number) => {
    if (off + n <= buf.length) return;
    const bigger = new Uint8Array(Math.max(buf.length * 2, off + n));
    bigger.set(buf.subarray(0, off));
    buf = bigger;
    view = new DataView(buf.buffer);
  };
  const u32 = (n: number) => {
    room(4);
    view.setUint32(off, n, true);
    off += 4;
  };
  for (const s of steps) {
    u32(OP[s.op]);
    u32(s.args.length);
    for (const a of s.args) {
      if (typeof a === "string") {
        room(4 + a.length * 3); // the most UTF-8 can take
        const { written } = enc.encodeInto(a, buf.subarray(off + 4));
        view.setUint32(off, written, true);
        off += 4 + written;
      } else {
        u32(a.length);
        room(a.length);
        buf.set(a, off);
        off += a.length;
      }
    }
  }
  u32(OP.END);
  return buf.subarray(0, off);
}

/** The Plan as text, for `ctr debug plan` and snapshot tests. */
export function formatPlan(steps: Step[]): string {
  return steps
    .map((s, i) => {
      const args = s.args.map((a) => (typeof a === "string" ? JSON.stringify(a) : `<${a.length} bytes>`));
      return `${String(i).padStart(3)} ${s.op} ${args.join(" ")}`.trimEnd();
    })
    .join("\n");
}
