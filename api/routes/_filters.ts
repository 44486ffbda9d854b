// Docker's `filters` query parameter: JSON, either {"key": {"value": true}}
// (current clients) or {"key": ["value"]} (old ones), read into key -> values.
// Unknown keys are a 400, as Docker's: a filter silently ignored would list
// what the client asked not to see.
import { ApiError } from "../route.ts";

export type Filters = Map<string, string[]>;

export function parseFilters(q: URLSearchParams, allowed: string[]): Filters {
  const raw = q.get("filters");
  const f: Filters = new Map();
  if (!raw) return f;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new ApiError(400, `invalid filter: ${raw}`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new ApiError(400, `invalid filter: ${raw}`);
  for (const [k, vals] of Object.entries(v as Record<string, unknown>)) {
    if (!allowed.includes(k)) throw new ApiError(400, `invalid filter '${k}'`);
    const list = Array.isArray(vals) ? vals : vals && typeof vals === "object" ? Object.keys(vals as object).filter((x) => (vals as Record<string, unknown>)[x]) : null;
    if (!list || list.some((x) => typeof x !== "string")) throw new ApiError(400, `invalid filter: ${raw}`);
    f.set(k, list as string[]);
  }
  return f;
}

/** label=KEY or label=KEY=VALUE: every one must hold. */
export function labelsMatch(f: Filters, labels: Record<string, string> | null | undefined): boolean {
  return (f.get("label") ?? []).every((want) => {
    const eq = want.indexOf("=");
    if (eq < 0) return labels?.[want] !== undefined;
    return labels?.[want.slice(0, eq)] === want.slice(eq + 1);
  });
}

/** A shell glob (path.Match: * and ? within one path component) as a regex. */
export function globRegex(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`);
}

/** Docker's time filters (since/until): unix seconds with an optional fraction, or an RFC 3339 date. In nanoseconds. */
export function parseTimestamp(s: string, what: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(s);
  if (m) return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw new ApiError(400, `invalid value for ${what}: ${s}: a unix timestamp or an RFC 3339 date`);
  return BigInt(ms) * 1_000_000n;
}
