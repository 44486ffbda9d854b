// Turns `--user` into numbers using the rootfs's own /etc/passwd and
// /etc/group, as Docker does (names are resolved inside the image).
import { readFileSync } from "node:fs";
import { resolveInRoot } from "../rootfs/resolve.ts";

export interface ResolvedUser {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

export class UserError extends Error {}

function readTable(root: string, file: string): string[][] {
  try {
    return readFileSync(resolveInRoot(root, file), "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(":"));
  } catch {
    return [];
  }
}

const isNum = (s: string) => /^\d+$/.test(s);

export function resolveUser(root: string, user: string | undefined, groupAdd: string[] = []): ResolvedUser {
  const [u = "0", g] = (user || "0").split(":", 2);
  const passwd = readTable(root, "/etc/passwd");
  const groups = readTable(root, "/etc/group");
  const entry = passwd.find((p) => (isNum(u) ? p[2] === u : p[0] === u));
  if (!entry && !isNum(u)) {
    throw new UserError(`unable to find user ${u}: no matching entries in passwd file`);
  }
  const uid = Number(entry?.[2] ?? u);
  let gid = Number(entry?.[3] ?? 0);
  if (g !== undefined) gid = groupId(groups, g);
  const name = entry?.[0];
  // supplementary groups: those listing the user by name, plus --group-add
  const supp = new Set<number>();
  if (name) for (const gr of groups) if ((gr[3] ?? "").split(",").includes(name)) supp.add(Number(gr[2]));
  for (const ga of groupAdd) supp.add(groupId(groups, ga));
  supp.delete(gid);
  return { uid, gid, groups: [gid, ...supp], home: entry?.[5] || "/" };
}

function groupId(groups: string[][], g: string): number {
  if (isNum(g)) return Number(g);
  const e = groups.find((x) => x[0] === g);
  if (!e) throw new UserError(`unable to find group ${g}: no matching entries in group file`);
  return Number(e[2]);
}
