// Where each key of a TOML document is written, by line.
//
// smol-toml gives line numbers only for syntax errors; a semantic error
// ("memory = 12q is not a size") needs the line of the key too. This scanner
// walks the text once, after smol-toml has accepted it, and records the line
// of every key, table header and array element under its path, e.g.
// ["resources", "memory"], ["mounts", 1, "target"], ["network", "ports", 0].
// It never throws: on anything it does not follow it stops, and lookups fall
// back to the nearest enclosing key that was recorded.

export type TomlPath = readonly (string | number)[];

const pathKey = (p: TomlPath): string => p.map((s) => (typeof s === "number" ? `#${s}` : `.${s}`)).join("\u0000");

export class KeyLocator {
  private readonly lines = new Map<string, number>();

  /** @internal used by the scanner; the first line seen for a path wins */
  record(path: TomlPath, line: number): void {
    const k = pathKey(path);
    if (!this.lines.has(k)) this.lines.set(k, line);
  }

  /** Records a dotted key's line under the key and each of its prefixes. */
  recordAll(path: TomlPath, from: number, line: number): void {
    for (let n = Math.max(1, from); n <= path.length; n++) this.record(path.slice(0, n), line);
  }

  /** The line of `path`, or of its nearest recorded ancestor. */
  lineOf(path: TomlPath): number | undefined {
    for (let n = path.length; n > 0; n--) {
      const line = this.lines.get(pathKey(path.slice(0, n)));
      if (line !== undefined) return line;
    }
    return undefined;
  }
}

class Scanner {
  p = 0;
  line = 1;
  constructor(readonly s: string) {}

  peek(offset = 0): string {
    return this.s[this.p + offset] ?? "";
  }
  startsWith(t: string): boolean {
    return this.s.startsWith(t, this.p);
  }
  eof(): boolean {
    return this.p >= this.s.length;
  }
  advance(n = 1): void {
    for (let i = 0; i < n && this.p < this.s.length; i++) {
      if (this.s[this.p] === "\n") this.line++;
      this.p++;
    }
  }
  skipSpaces(): void {
    while (this.peek() === " " || this.peek() === "\t") this.advance();
  }
  skipComment(): void {
    if (this.peek() !== "#") return;
    while (!this.eof() && this.peek() !== "\n") this.advance();
  }
  /** Spaces, newlines and comments: what may sit between array elements. */
  skipBlank(): void {
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || c === "\r" || c === "\n") this.advance();
      else if (c === "#") this.skipComment();
      else return;
    }
  }

  /** A basic or literal string, single- or multi-line; returns its raw content. */
  string(): string {
    const q = this.peek();
    const triple = this.startsWith(q.repeat(3));
    const close = triple ? q.repeat(3) : q;
    this.advance(close.length);
    const start = this.p;
    while (!this.eof()) {
      if (q === '"' && this.peek() === "\\") {
        this.advance(2);
        continue;
      }
      if (this.startsWith(close)) {
        // A multi-line string may end with up to two extra quotes: """a""""".
        let end = this.p;
        if (triple) while (this.s[end + 3] === q) end++;
        const text = this.s.slice(start, end);
        this.advance(end - this.p + close.length);
        return text;
      }
      if (!triple && this.peek() === "\n") break;
      this.advance();
    }
    throw new Error("unterminated string");
  }

  /** A dotted key: bare, "quoted" or 'literal' parts. */
  key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.peek();
      if (c === '"' || c === "'") {
        const raw = this.string();
        parts.push(c === '"' ? unescapeBasic(raw) : raw);
      } else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.p, this.p + 256));
        if (!m) throw new Error("bad key");
        parts.push(m[0]);
        this.advance(m[0].length);
      }
      this.skipSpaces();
      if (this.peek() !== ".") return parts;
      this.advance();
    }
  }

  /** Skips one value, recording array elements and inline-table keys under `path`. */
  value(path: (string | number)[], loc: KeyLocator): void {
    const c = this.peek();
    if (c === '"' || c === "'") {
      this.string();
    } else if (c === "[") {
      this.advance();
      for (let i = 0; ; i++) {
        this.skipBlank();
        if (this.peek() === "]" || this.eof()) break;
        loc.record([...path, i], this.line);
        this.value([...path, i], loc);
        this.skipBlank();
        if (this.peek() === ",") this.advance();
      }
      this.advance();
    } else if (c === "{") {
      this.advance();
      for (;;) {
        this.skipBlank();
        if (this.peek() === "}" || this.eof()) break;
        const line = this.line;
        const k = [...path, ...this.key()];
        loc.recordAll(k, path.length + 1, line);
        this.skipSpaces();
        if (this.peek() !== "=") throw new Error("expected =");
        this.advance();
        this.skipSpaces();
        this.value(k, loc);
        this.skipBlank();
        if (this.peek() === ",") this.advance();
      }
      this.advance();
    } else {
      // Numbers, booleans, dates (which may contain a space): up to a delimiter.
      const start = this.p;
      while (!this.eof() && !",]}\n#".includes(this.peek())) this.advance();
      if (this.p === start) throw new Error("empty value");
    }
  }
}

function unescapeBasic(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/** Scans a TOML document (already known to be valid) for the lines of its keys. */
export function locateKeys(text: string): KeyLocator {
  const loc = new KeyLocator();
  const sc = new Scanner(text);
  // How many [[x]] headers have been seen, by the concrete path of the array.
  const arrayCounts = new Map<string, number>();
  // Concrete path of a header: every array-of-tables prefix gets its current index.
  const concrete = (segs: readonly string[]): (string | number)[] => {
    const out: (string | number)[] = [];
    for (const s of segs) {
      out.push(s);
      const n = arrayCounts.get(pathKey(out));
      if (n !== undefined) out.push(n);
    }
    return out;
  };
  let table: (string | number)[] = [];
  try {
    while (!sc.eof()) {
      sc.skipBlank();
      if (sc.eof()) break;
      const line = sc.line;
      if (sc.startsWith("[[")) {
        sc.advance(2);
        const segs = sc.key();
        const parent = concrete(segs.slice(0, -1));
        const arr = [...parent, segs[segs.length - 1] ?? ""];
        const idx = (arrayCounts.get(pathKey(arr)) ?? -1) + 1;
        arrayCounts.set(pathKey(arr), idx);
        loc.record(arr, line);
        table = [...arr, idx];
        loc.record(table, line);
        sc.skipSpaces();
        sc.advance(2);
      } else if (sc.peek() === "[") {
        sc.advance();
        table = concrete(sc.key());
        loc.recordAll(table, 1, line);
        sc.skipSpaces();
        sc.advance();
      } else {
        const k = [...table, ...sc.key()];
        loc.recordAll(k, table.length + 1, line);
        sc.skipSpaces();
        if (sc.peek() !== "=") break;
        sc.advance();
        sc.skipSpaces();
        sc.value(k, loc);
      }
    }
  } catch {
    // Keep what was found; see the note at the top.
  }
  return loc;
}
