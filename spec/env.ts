// KEY=VALUE lists: environment variables, labels, sysctls.

import { SpecError } from "./errors.ts";

export type HostEnv = Readonly<Record<string, string | undefined>>;

function checkEnvName(name: string, entry: string): void {
  if (name === "") throw new SpecError(`invalid environment variable: ${entry}`);
  if (/\s/.test(name)) throw new SpecError(`invalid environment variable ${JSON.stringify(entry)}: the name contains whitespace`);
  if (name.includes("\0")) throw new SpecError(`invalid environment variable ${JSON.stringify(entry)}: the name contains a NUL byte`);
}

/**
 * Parses one "NAME=value" or bare "NAME" entry into `out`. A bare name takes
 * its value from `env` (the caller's environment) and is skipped when unset,
 * which is what `docker run -e NAME` does.
 */
export function addEnvEntry(out: Record<string, string>, entry: string, env: HostEnv): void {
  const eq = entry.indexOf("=");
  const name = eq < 0 ? entry : entry.slice(0, eq);
  checkEnvName(name, entry);
  if (eq >= 0) {
    out[name] = entry.slice(eq + 1);
    return;
  }
  const v = env[name];
  if (v !== undefined) out[name] = v;
}

/** ["A=1", "B"] -> {A: "1", B: env.B} (B left out when unset). Later entries win. */
export function parseEnvList(entries: readonly string[], env: HostEnv = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) addEnvEntry(out, e, env);
  return out;
}

/**
 * Docker's --env-file format: one entry per line, "#" comments and blank lines
 * skipped, no quoting (quotes are part of the value, as in Docker).
 */
export function parseEnvFile(text: string, env: HostEnv = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) return;
    try {
      addEnvEntry(out, line, env);
    } catch (e) {
      if (e instanceof SpecError) throw new SpecError(`line ${i + 1}: ${e.detail}`);
      throw e;
    }
  });
  return out;
}

/**
 * "key=value" -> [key, value]. Without "=" the value is "" when `bareAllowed`
 * (Docker's -l key), an error otherwise (--sysctl key needs a value).
 */
export function parseKeyValue(s: string, what: string, bareAllowed: boolean): [string, string] {
  const eq = s.indexOf("=");
  if (eq < 0) {
    if (bareAllowed && s !== "") return [s, ""];
    throw new SpecError(`invalid ${what} ${JSON.stringify(s)}: expected key=value`);
  }
  const key = s.slice(0, eq);
  if (key.trim() === "") throw new SpecError(`invalid ${what} ${JSON.stringify(s)}: the key is empty`);
  return [key, s.slice(eq + 1)];
}
