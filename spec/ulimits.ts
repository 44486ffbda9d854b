// Resource limits (setrlimit), spelled as Docker's --ulimit.

import { SpecError, suggestion } from "./errors.ts";
import type { RlimitSpec } from "./types.ts";

/** The names --ulimit accepts (RLIMIT_<NAME> lower-cased). */
export const RLIMIT_NAMES: readonly string[] = [
  "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
  "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
];

/** -1 stands for RLIM_INFINITY, as in Docker. */
export const RLIM_UNLIMITED = -1;

export function checkRlimitName(name: string): string {
  const n = name.trim().toLowerCase();
  if (!RLIMIT_NAMES.includes(n)) throw new SpecError(`invalid ulimit name ${JSON.stringify(name)}${suggestion(n, RLIMIT_NAMES)}`);
  return n;
}

/** One limit value: a whole number >= 0, or -1 / "unlimited". */
export function parseRlimitValue(s: string, name: string): number {
  const t = s.trim().toLowerCase();
  if (t === "unlimited" || t === "-1") return RLIM_UNLIMITED;
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t))) {
    throw new SpecError(`invalid ulimit value ${JSON.stringify(s)} for ${name}: expected a whole number or "unlimited"`);
  }
  return Number(t);
}

/** Checks soft <= hard (treating -1 as infinity) and builds the spec entry. */
export function makeRlimit(name: string, soft: number, hard: number): RlimitSpec {
  const n = checkRlimitName(name);
  const inf = (v: number) => (v === RLIM_UNLIMITED ? Infinity : v);
  if (inf(soft) > inf(hard)) {
    throw new SpecError(`invalid ulimit ${n}: the soft limit (${soft}) must be less than or equal to the hard limit (${hard})`);
  }
  return { name: n, soft, hard };
}

/** "nofile=1024:2048" -> {name: "nofile", soft: 1024, hard: 2048}; "nofile=1024" sets both. */
export function parseUlimit(s: string): RlimitSpec {
  const eq = s.indexOf("=");
  if (eq < 0) throw new SpecError(`invalid ulimit ${JSON.stringify(s)}: expected name=soft[:hard] (e.g. nofile=1024:2048)`);
  const name = checkRlimitName(s.slice(0, eq));
  return parseUlimitValue(name, s.slice(eq + 1));
}

/** The part after "=": "soft[:hard]". */
export function parseUlimitValue(name: string, value: string): RlimitSpec {
  const parts = value.split(":");
  if (parts.length > 2) throw new SpecError(`invalid ulimit ${name}=${value}: expected soft[:hard]`);
  const soft = parseRlimitValue(parts[0] ?? "", name);
  const hard = parts[1] === undefined ? soft : parseRlimitValue(parts[1], name);
  return makeRlimit(name, soft, hard);
}

/** Replaces a limit of the same name, so a later --ulimit wins over the file's. */
export function setUlimit(list: RlimitSpec[], r: RlimitSpec): void {
  const i = list.findIndex((x) => x.name === r.name);
  if (i >= 0) list[i] = r;
  else list.push(r);
}
