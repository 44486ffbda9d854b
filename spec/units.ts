// Scalar values with units, spelled the way Docker's CLI accepts them.
// Each parser takes the user's text and returns a plain number, or throws a
// SpecError whose message says what a good value looks like.

import { SpecError } from "./errors.ts";

// Binary multiples, like Docker's RAMInBytes: "k" is 1024, whatever the case,
// with or without "b"/"ib" after it ("64m" = "64M" = "64MiB" = "64mb").
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};
const SIZE_RE = /^(\d+(?:\.\d+)?) ?([kmgtp]?)(i?)(b?)$/i;

/** "64m" -> 67108864. Plain numbers are bytes. */
export function parseSize(s: string): number {
  const bad = () =>
    new SpecError(`invalid size ${JSON.stringify(s)}: use a number with an optional unit b, k, m, g (e.g. 64m)`);
  const m = SIZE_RE.exec(s.trim());
  if (!m || s.trim() === "") throw bad();
  const [, num = "", unit = "", i = ""] = m;
  // "ib" only makes sense after a unit letter ("KiB"); "12ib" is a typo.
  if (i !== "" && unit === "") throw bad();
  const bytes = Math.floor(Number(num) * (SIZE_UNITS[unit.toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes)) throw new SpecError(`invalid size ${JSON.stringify(s)}: too large`);
  return bytes;
}

/** Human form of a byte count, for messages: 67108864 -> "64MiB". */
export function formatSize(bytes: number): string {
  for (const [unit, mult] of [["TiB", 1024 ** 4], ["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (bytes >= mult && bytes % mult === 0) return `${bytes / mult}${unit}`;
  }
  return `${bytes}B`;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  "µs": 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};
// Go's time.ParseDuration grammar without the sign: one or more number+unit.
const DURATION_PART_RE = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;

/** "1m30s" -> 90, "500ms" -> 0.5; a plain number is seconds. */
export function parseDuration(s: string): number {
  const t = s.trim();
  const bad = () =>
    new SpecError(`invalid duration ${JSON.stringify(s)}: use a number of seconds or units h, m, s, ms (e.g. 1m30s)`);
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === "") throw bad();
  let total = 0;
  let consumed = 0;
  DURATION_PART_RE.lastIndex = 0;
  for (let m = DURATION_PART_RE.exec(t); m; m = DURATION_PART_RE.exec(t)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ""] ?? NaN);
    consumed = DURATION_PART_RE.lastIndex;
  }
  if (consumed !== t.length || !Number.isFinite(total)) throw bad();
  return total;
}

/** "1.5" -> 1.5 CPUs. 0 means no limit, as with Docker's --cpus 0. */
export function parseCpus(s: string): number {
  const t = s.trim();
  if (!/^(\d+(\.\d+)?|\.\d+)$/.test(t)) {
    throw new SpecError(`invalid CPU count ${JSON.stringify(s)}: use a positive number such as 1.5`);
  }
  // Docker stores CPUs as nano-CPUs; more decimals than that cannot be honoured.
  if ((t.split(".")[1] ?? "").length > 9) throw new SpecError(`invalid CPU count ${JSON.stringify(s)}: value is too precise`);
  return Number(t);
}

/** A whole number, with a message naming what it is for. */
export function parseInteger(s: string, what = "number"): number {
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new SpecError(`invalid ${what} ${JSON.stringify(s)}: expected a whole number`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw new SpecError(`invalid ${what} ${JSON.stringify(s)}: too large`);
  return n;
}

/** Go's strconv.ParseBool spellings, which is what Docker's --flag=value takes. */
export function parseBool(s: string): boolean {
  const t = s.trim().toLowerCase();
  if (t === "1" || t === "t" || t === "true") return true;
  if (t === "0" || t === "f" || t === "false") return false;
  throw new SpecError(`invalid boolean ${JSON.stringify(s)}: expected true or false`);
}
