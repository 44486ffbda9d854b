// Registry credentials saved by `ctr login`: <data root>/auth.json, mode 0600,
// in Docker's config.json shape ({auths: {host: {auth: base64(user:pass)}}}).
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dataRoot } from "../runtime/state/paths.ts";

export interface Credentials {
  user: string;
  pass: string;
}

interface AuthFile {
  auths: Record<string, { auth: string }>;
}

const path = () => join(dataRoot(), "auth.json");

function read(): AuthFile {
  try {
    return JSON.parse(readFileSync(path(), "utf8")) as AuthFile;
  } catch {
    return { auths: {} };
  }
}

function write(f: AuthFile): void {
  mkdirSync(dataRoot(), { recursive: true });
  const tmp = `${path()}.tmp${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(f, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path());
}

export function loadCredentials(host: string): Credentials | undefined {
  const a = read().auths[host]?.auth;
  if (!a) return undefined;
  const s = Buffer.from(a, "base64").toString();
  const i = s.indexOf(":");
  return i < 0 ? undefined : { user: s.slice(0, i), pass: s.slice(i + 1) };
}

export function saveCredentials(host: string, c: Credentials): void {
  const f = read();
  f.auths[host] = { auth: Buffer.from(`${c.user}:${c.pass}`).toString("base64") };
  write(f);
}

export function removeCredentials(host: string): boolean {
  const f = read();
  if (!f.auths[host]) return false;
  delete f.auths[host];
  write(f);
  return true;
}
