// Image references, resolved as Docker does: `busybox` is
// docker.io/library/busybox:latest, `me/app:1` is docker.io/me/app:1,
// `localhost:5000/app@sha256:...` names a registry host and a digest.

export interface Reference {
  domain: string;
  /** repository path on the registry (library/busybox) */
  path: string;
  tag?: string;
  digest?: string;
}

export class ReferenceError extends Error {
  override name = "UsageError";
}

const DEFAULT_DOMAIN = "docker.io";
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseReference(ref: string): Reference {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ReferenceError(`invalid reference format: ${ref}: bad digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ReferenceError(`invalid reference format: ${ref}: bad tag`);
  }
  let domain = DEFAULT_DOMAIN;
  const slash = rest.indexOf("/");
  const first = slash < 0 ? "" : rest.slice(0, slash);
  if (first && (first.includes(".") || first.includes(":") || first === "localhost")) {
    domain = first;
    rest = rest.slice(slash + 1);
  }
  if (domain === "index.docker.io") domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !rest.includes("/")) rest = `library/${rest}`;
  if (!rest || rest.split("/").some((c) => !COMPONENT.test(c))) {
    throw new ReferenceError(`invalid reference format: repository name (${ref}) must be lowercase letters, digits and separators`);
  }
  if (!tag && !digest) tag = "latest";
  return { domain, path: rest, tag, digest };
}

/** docker.io/library/busybox */
export const repository = (r: Reference) => `${r.domain}/${r.path}`;

/** The full name the store keys tags by: docker.io/library/busybox:latest */
export function canonical(r: Reference): string {
  return r.digest && !r.tag ? `${repository(r)}@${r.digest}` : `${repository(r)}:${r.tag}`;
}

/** As Docker shows it: busybox:latest, me/app:1, localhost:5000/app:2 */
export function familiar(name: string): string {
  let s = name;
  if (s.startsWith(`${DEFAULT_DOMAIN}/`)) s = s.slice(DEFAULT_DOMAIN.length + 1);
  if (s.startsWith("library/") && !s.slice(8).includes("/")) s = s.slice(8);
  return s;
}

/** "busybox:latest" -> ["busybox", "latest"], for the REPOSITORY and TAG columns. */
export function splitRepoTag(name: string): [string, string] {
  const f = familiar(name);
  const at = f.indexOf("@");
  if (at >= 0) return [f.slice(0, at), "<none>"];
  const c = f.lastIndexOf(":");
  return c > f.lastIndexOf("/") ? [f.slice(0, c), f.slice(c + 1)] : [f, "<none>"];
}
