// Namespace kinds in the order they are joined (user first: it grants the
// rights to join the rest; mount last: it changes what paths mean).
import type { NamespaceKind } from "../../spec/types.ts";

export const CLONE = {
  NEWNS: 0x00020000, NEWCGROUP: 0x02000000, NEWUTS: 0x04000000, NEWIPC: 0x08000000,
  NEWUSER: 0x10000000, NEWPID: 0x20000000, NEWNET: 0x40000000,
} as const;

export interface NsKindInfo {
  kind: NamespaceKind;
  flag: number;
  /** file name under /proc/PID/ns */
  proc: string;
}

export const ORDERED_NAMESPACES: NsKindInfo[] = [
  { kind: "user", flag: CLONE.NEWUSER, proc: "user" },
  { kind: "pid", flag: CLONE.NEWPID, proc: "pid" },
  { kind: "ipc", flag: CLONE.NEWIPC, proc: "ipc" },
  { kind: "uts", flag: CLONE.NEWUTS, proc: "uts" },
  { kind: "net", flag: CLONE.NEWNET, proc: "net" },
  { kind: "cgroup", flag: CLONE.NEWCGROUP, proc: "cgroup" },
  { kind: "mount", flag: CLONE.NEWNS, proc: "mnt" },
];
