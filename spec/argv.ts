// A Docker-style (pflag) command-line parser driven by a table of flags.
//
// citty cannot stop at the first positional argument, and `ctr run IMAGE sh -c
// 'echo hi'` must leave "-c" to the command. So `run`, `create` and `exec` parse
// their arguments here: flags first, then the first positional ends flag
// parsing and everything after it belongs to the container's command.

import { SpecError, suggestion } from "./errors.ts";
import { parseBool } from "./units.ts";

interface FlagBase {
  /** long name, without "--" */
  name: string;
  /** one-letter short name, without "-" */
  short?: string;
  /** other long names accepted for the same flag (e.g. "net" for "network") */
  aliases?: readonly string[];
  description: string;
}

/** A flag with no value: `--rm`, or `--rm=false`. */
export interface BoolFlag<T, C> extends FlagBase {
  kind: "bool";
  apply(target: T, value: boolean, ctx: C): void;
}

/**
 * A flag with a value: `--name x`, `--name=x`, `-ex`. "string" keeps the last
 * value given; "list" may be repeated and each use adds to the list.
 */
export interface ValueFlag<T, C> extends FlagBase {
  kind: "string" | "list";
  /** what the value is, for --help: "bytes", "list", "string" */
  value: string;
  apply(target: T, value: string, ctx: C): void;
}

export type FlagDef<T, C> = BoolFlag<T, C> | ValueFlag<T, C>;

/** One flag as it appeared on the command line. */
export interface FlagUse<T, C> {
  flag: FlagDef<T, C>;
  value: string | boolean;
}

export interface ParsedArgv<T, C> {
  uses: FlagUse<T, C>[];
  /** the first positional and everything after it, untouched */
  positionals: string[];
  /** --help was given (before the first positional) */
  help: boolean;
}

/** "-m, --memory" or "--rm": how Docker names a flag in messages. */
export function flagLabel(f: FlagBase): string {
  return f.short === undefined ? `--${f.name}` : `-${f.short}, --${f.name}`;
}

/** Splits argv into flag uses and positionals. Syntax only: values are not checked here. */
export function parseArgv<T, C>(table: readonly FlagDef<T, C>[], argv: readonly string[]): ParsedArgv<T, C> {
  const byLong = new Map<string, FlagDef<T, C>>();
  const byShort = new Map<string, FlagDef<T, C>>();
  for (const f of table) {
    byLong.set(f.name, f);
    for (const a of f.aliases ?? []) byLong.set(a, f);
    if (f.short !== undefined) byShort.set(f.short, f);
  }
  const out: ParsedArgv<T, C> = { uses: [], positionals: [], help: false };
  let i = 0;
  const next = (spelled: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new SpecError(`flag needs an argument: ${spelled}`, { key: spelled });
    i++;
    return v;
  };

  for (; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") {
      out.positionals.push(...argv.slice(i + 1));
      return out;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      if (name === "help") {
        out.help = true;
        continue;
      }
      const f = byLong.get(name);
      if (f === undefined) {
        throw new SpecError(`unknown flag: --${name}${suggestion(name, byLong.keys(), (s) => `--${s}`)}`, { key: `--${name}` });
      }
      if (f.kind === "bool") out.uses.push({ flag: f, value: inline === undefined ? true : boolValue(f, inline) });
      else out.uses.push({ flag: f, value: inline ?? next(`--${name}`) });
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // A cluster of short flags: "-it", "-dit", "-eA=1", "-p8080:80".
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j] ?? "";
        const f = byShort.get(c);
        if (f === undefined) throw new SpecError(`unknown shorthand flag: '${c}' in ${arg}`, { key: `-${c}` });
        const rest = arg.slice(j + 1);
        if (f.kind === "bool") {
          if (rest.startsWith("=")) {
            out.uses.push({ flag: f, value: boolValue(f, rest.slice(1)) });
            break;
          }
          out.uses.push({ flag: f, value: true });
          continue;
        }
        // The rest of the cluster is the value ("-e=A=1" too, as pflag does).
        const value = rest === "" ? next(`-${c}`) : rest.startsWith("=") ? rest.slice(1) : rest;
        out.uses.push({ flag: f, value });
        break;
      }
      continue;
    }
    // The first positional (also a lone "-") ends flag parsing.
    out.positionals.push(...argv.slice(i));
    return out;
  }
  return out;
}

function boolValue(f: FlagBase, s: string): boolean {
  try {
    return parseBool(s);
  } catch {
    throw new SpecError(`invalid argument ${JSON.stringify(s)} for "${flagLabel(f)}" flag: expected true or false`, {
      key: `--${f.name}`,
    });
  }
}

/**
 * Applies flag uses in order. A value parser's error is reworded the way
 * Docker reports bad flag values:
 * `invalid argument "12q" for "-m, --memory" flag: invalid size "12q": ...`
 */
export function applyFlagUses<T, C>(target: T, uses: readonly FlagUse<T, C>[], ctx: C): void {
  for (const u of uses) {
    try {
      if (u.flag.kind === "bool") u.flag.apply(target, u.value === true, ctx);
      else u.flag.apply(target, String(u.value), ctx);
    } catch (e) {
      if (e instanceof SpecError && e.file === undefined) {
        throw new SpecError(`invalid argument ${JSON.stringify(String(u.value))} for "${flagLabel(u.flag)}" flag: ${e.detail}`, {
          key: `--${u.flag.name}`,
        });
      }
      throw e;
    }
  }
}

/** What --help needs of a flag; every FlagDef fits. */
export interface FlagHelp {
  name: string;
  short?: string;
  aliases?: readonly string[];
  description: string;
  kind: string;
  value?: string;
}

/** The flag table as --help lines: "  -m, --memory bytes   Memory limit". */
export function formatFlagHelp(table: readonly FlagHelp[]): string {
  const rows = table.map((f) => {
    const names = f.short === undefined ? `    --${f.name}` : `-${f.short}, --${f.name}`;
    const left = f.kind === "bool" || f.value === undefined ? names : `${names} ${f.value}`;
    const aliases = (f.aliases ?? []).map((a) => `--${a}`);
    return [left, aliases.length > 0 ? `${f.description} (also ${aliases.join(", ")})` : f.description] as const;
  });
  const width = Math.min(34, Math.max(0, ...rows.map(([l]) => l.length)));
  return rows
    .map(([left, desc]) => (left.length > width ? `  ${left}\n  ${" ".repeat(width)}  ${desc}` : `  ${left.padEnd(width)}  ${desc}`))
    .join("\n");
}
