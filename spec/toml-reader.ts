// Typed access to a parsed TOML table, with errors that carry the file, the
// line and the key. The schema (toml-schema.ts) is written against this.

import { SpecError, suggestion } from "./errors.ts";
import type { KeyLocator, TomlPath } from "./toml-lines.ts";

export type Table = Record<string, unknown>;

/** ["mounts", 1, "target"] -> "mounts[1].target" */
export function formatPath(path: TomlPath): string {
  let out = "";
  for (const s of path) out += typeof s === "number" ? `[${s}]` : out === "" ? s : `.${s}`;
  return out;
}

/** "a string", "an integer", ...: how a TOML value is named in messages. */
export function describe(v: unknown): string {
  if (typeof v === "string") return "a string";
  if (typeof v === "boolean") return "a boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a float";
  if (typeof v === "bigint") return "an integer";
  if (Array.isArray(v)) return "an array";
  if (isTable(v)) return "a table";
  return "a date";
}

export function isTable(v: unknown): v is Table {
  // Dates are objects too (TomlDate extends Date); tables are plain objects.
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Where a table sits, for "unknown key ... in [resources]". */
function sectionName(path: TomlPath): string {
  if (path.length === 0) return "at the top level";
  const last = path[path.length - 1];
  if (typeof last === "number" && path.length === 2) return `in [[${String(path[0])}]]`;
  if (path.length === 1) return `in [${String(path[0])}]`;
  return `in ${formatPath(path)}`;
}

export class TomlReader {
  constructor(
    readonly file: string,
    private readonly loc: KeyLocator,
  ) {}

  /** Throws a SpecError located at `path`; the detail is prefixed with the key. */
  fail(path: TomlPath, detail: string): never {
    const key = formatPath(path);
    throw new SpecError(key === "" ? detail : `${key}: ${detail}`, { file: this.file, line: this.loc.lineOf(path), key });
  }

  /** Runs a value parser, giving its (location-less) SpecError the file, line and key. */
  at<T>(path: TomlPath, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof SpecError && e.file === undefined) this.fail(path, e.detail);
      throw e;
    }
  }

  /** Rejects keys not in `allowed`, suggesting the closest one. */
  checkKeys(t: Table, path: TomlPath, allowed: readonly string[]): void {
    for (const k of Object.keys(t)) {
      if (allowed.includes(k)) continue;
      const key = formatPath([...path, k]);
      throw new SpecError(`unknown key ${JSON.stringify(k)} ${sectionName(path)}${suggestion(k, allowed)}`, {
        file: this.file,
        line: this.loc.lineOf([...path, k]),
        key,
      });
    }
  }

  typeError(v: unknown, path: TomlPath, expected: string): never {
    this.fail(path, `expected ${expected}, got ${describe(v)}`);
  }

  table(v: unknown, path: TomlPath): Table {
    if (!isTable(v)) this.typeError(v, path, "a table");
    return v;
  }

  string(v: unknown, path: TomlPath): string {
    if (typeof v !== "string") this.typeError(v, path, "a string");
    return v;
  }

  bool(v: unknown, path: TomlPath): boolean {
    if (typeof v !== "boolean") this.typeError(v, path, "a boolean (true or false)");
    return v;
  }

  int(v: unknown, path: TomlPath): number {
    if (typeof v !== "number" || !Number.isSafeInteger(v)) this.typeError(v, path, "an integer");
    return v;
  }

  array(v: unknown, path: TomlPath): unknown[] {
    if (!Array.isArray(v)) this.typeError(v, path, "an array");
    return v;
  }

  stringList(v: unknown, path: TomlPath): string[] {
    return this.array(v, path).map((x, i) => this.string(x, [...path, i]));
  }

  /** Strings, and numbers or booleans written without quotes (env values, sysctls, labels). */
  scalarText(v: unknown, path: TomlPath): string {
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    this.typeError(v, path, "a string");
  }

  /** A string or a whole number, as text (user "1000", cpuset 0, group_add 10). */
  stringOrInt(v: unknown, path: TomlPath): string {
    if (typeof v === "string") return v;
    if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
    this.typeError(v, path, "a string or an integer");
  }

  /**
   * A table of text values; nested tables are flattened with dots, so an
   * unquoted `net.ipv4.ip_forward = 1` means the sysctl of that name.
   */
  flatTextTable(v: unknown, path: TomlPath): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (t: Table, p: TomlPath, prefix: string) => {
      for (const [k, x] of Object.entries(t)) {
        const name = prefix === "" ? k : `${prefix}.${k}`;
        if (isTable(x)) walk(x, [...p, k], name);
        else out[name] = this.scalarText(x, [...p, k]);
      }
    };
    walk(this.table(v, path), path, "");
    return out;
  }
}
