// The one error type of spec/: whatever the user wrote wrong, in a TOML file or
// on the command line, ends up as a SpecError whose message is a single line
// the CLI can print as is (exit code 125, like Docker's usage errors).

export interface SpecErrorWhere {
  /** the TOML file, as the user named it */
  file?: string;
  /** 1-based line in that file */
  line?: number;
  column?: number;
  /** the key or flag at fault, e.g. "resources.memory" or "--memory" */
  key?: string;
}

export class SpecError extends Error {
  override name = "SpecError";
  /** the message without the FILE:LINE: prefix, for callers that re-wrap it */
  readonly detail: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly key?: string;

  constructor(detail: string, where: SpecErrorWhere = {}) {
    super(formatWhere(where) + detail);
    this.detail = detail;
    if (where.file !== undefined) this.file = where.file;
    if (where.line !== undefined) this.line = where.line;
    if (where.column !== undefined) this.column = where.column;
    if (where.key !== undefined) this.key = where.key;
  }
}

function formatWhere(where: SpecErrorWhere): string {
  if (where.file === undefined) return "";
  return where.line === undefined ? `${where.file}: ` : `${where.file}:${where.line}: `;
}

/**
 * Edit distance where an insert, delete, substitution or swap of two
 * neighbouring letters costs 1 (Levenshtein plus transpositions, the
 * "optimal string alignment" variant): "memroy" is one typo from "memory".
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  // d[i][j] = distance between a[0..i) and b[0..j); the keys compared are short.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      row[j] = v;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate the user most likely meant: the closest one within edit
 * distance 2, or else one that the word is a prefix of (or that is a prefix
 * of the word), so "mem" suggests "memory" and "memory_limit" suggests "memory".
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let prefixMatch: string | undefined;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const d = levenshtein(w, lc);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
    if (prefixMatch === undefined && w.length >= 2 && (lc.startsWith(w) || w.startsWith(lc))) prefixMatch = c;
  }
  if (best !== undefined && bestDistance <= 2 && bestDistance < w.length) return best;
  return prefixMatch;
}

/** `; did you mean "x"?` or "" — appended to unknown-name messages. */
export function suggestion(word: string, candidates: Iterable<string>, show: (s: string) => string = (s) => JSON.stringify(s)): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? "" : `; did you mean ${show(s)}?`;
}
