// Validators for the process settings: user, working directory, host name.

import { SpecError } from "./errors.ts";

/** "uid", "uid:gid", "name", "name:group" (Docker's -u). */
export function parseUser(s: string): string {
  const t = s.trim();
  if (!/^[^:\s]+(:[^:\s]+)?$/.test(t)) throw new SpecError(`invalid user ${JSON.stringify(s)}: expected user[:group] (names or ids)`);
  return t;
}

/** A supplementary group: a name or a gid. */
export function parseGroup(s: string): string {
  const t = s.trim();
  if (!/^[^:\s]+$/.test(t)) throw new SpecError(`invalid group ${JSON.stringify(s)}: expected a group name or id`);
  return t;
}

export function parseWorkdir(s: string): string {
  if (!s.startsWith("/")) throw new SpecError(`invalid working directory ${JSON.stringify(s)}: it must be an absolute path`);
  return s;
}

/** Host and domain names: what sethostname/setdomainname accept, minus whitespace. */
export function parseHostname(s: string, what = "hostname"): string {
  if (s === "" || s.length > 64 || /[\s/\0]/.test(s)) {
    throw new SpecError(`invalid ${what} ${JSON.stringify(s)}: 1 to 64 characters, no spaces or "/"`);
  }
  return s;
}
