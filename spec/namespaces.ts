// Namespace choices (--pid, --ipc, --uts, --cgroupns, --userns, [namespaces]).
//
// The network namespace is described twice in a ContainerSpec: by
// network.mode ("host", "container:x", "ns:/path", or a network that needs a
// fresh namespace) and by namespaces.net. The setters below keep the two in
// step, so whichever the user wrote, the runtime can read either.

import { SpecError } from "./errors.ts";
import { parseContainerName, parseNetworkMode } from "./network.ts";
import type { ContainerSpec, NamespaceKind, NamespaceMode } from "./types.ts";

export const NAMESPACE_KINDS: readonly NamespaceKind[] = ["pid", "mount", "uts", "ipc", "net", "user", "cgroup"];

const ALLOWED: Record<Exclude<NamespaceKind, "user">, readonly NamespaceMode["mode"][]> = {
  pid: ["private", "host", "container", "path"],
  ipc: ["private", "host", "container", "path"],
  uts: ["private", "host", "container", "path"],
  net: ["private", "host", "container", "path"],
  cgroup: ["private", "host", "path"],
  // Sharing the host's mount namespace would let the container's mounts land
  // on the host, so "host" is refused outright.
  mount: ["private", "container", "path"],
};

/**
 * "private" | "host" | "container:<name>" | an absolute path (e.g.
 * /proc/123/ns/pid or /run/netns/x). For ipc, Docker's "shareable" means a
 * private namespace others may join, which every private one is here.
 */
export function parseNamespace(kind: Exclude<NamespaceKind, "user">, s: string): NamespaceMode {
  const t = s.trim();
  let mode: NamespaceMode;
  if (t === "private" || t === "" || (kind === "ipc" && t === "shareable")) mode = { mode: "private" };
  else if (t === "host") mode = { mode: "host" };
  else if (t.startsWith("container:")) mode = { mode: "container", container: parseContainerName(t.slice(10)) };
  else if (t.startsWith("/")) mode = { mode: "path", path: t };
  else throw new SpecError(`invalid ${kind} namespace ${JSON.stringify(s)}: use private, host, container:<name> or a path`);
  if (!ALLOWED[kind].includes(mode.mode)) {
    throw new SpecError(`invalid ${kind} namespace ${JSON.stringify(s)}: ${mode.mode} is not possible for the ${kind} namespace`);
  }
  return mode;
}

/** Sets one namespace; for "net" also updates network.mode to match. */
export function setNamespace(spec: ContainerSpec, kind: Exclude<NamespaceKind, "user">, mode: NamespaceMode): void {
  if (kind !== "net") {
    if (mode.mode === "private") delete spec.namespaces[kind];
    else spec.namespaces[kind] = mode;
    return;
  }
  switch (mode.mode) {
    case "host":
      spec.network.mode = "host";
      break;
    case "container":
      spec.network.mode = `container:${mode.container}`;
      break;
    case "path":
      spec.network.mode = `ns:${mode.path}`;
      break;
    case "private":
      // A fresh namespace: keep a bridge or user-defined network if one was chosen.
      if (/^(host|container:|ns:)/.test(spec.network.mode)) spec.network.mode = "bridge";
      break;
  }
  syncNetNamespace(spec);
}

/** Sets network.mode (already parsed) and the net namespace that goes with it. */
export function setNetworkMode(spec: ContainerSpec, mode: string): void {
  spec.network.mode = parseNetworkMode(mode);
  syncNetNamespace(spec);
}

function syncNetNamespace(spec: ContainerSpec): void {
  const m = spec.network.mode;
  if (m === "host") spec.namespaces.net = { mode: "host" };
  else if (m.startsWith("container:")) spec.namespaces.net = { mode: "container", container: m.slice(10) };
  else if (m.startsWith("ns:")) spec.namespaces.net = { mode: "path", path: m.slice(3) };
  else delete spec.namespaces.net;
}

/**
 * The user namespace, from [namespaces] user, --userns or --userns-remap.
 * Chosen meanings:
 *   "host"                 no user namespace (root in the container is root on the host)
 *   "" (empty)             back to the default: no remapping asked for
 *   "private", "remap",
 *   "default"              a new user namespace, ids remapped from the "default"
 *                          range (usernsRemap = "default"; the runtime reads
 *                          /etc/subuid or uses its documented range)
 *   "container:<name>"     join that container's user namespace
 *   "/path"                join the user namespace at that path
 *   any other user name    a new user namespace mapped with that user's ranges
 *                          from /etc/subuid and /etc/subgid (usernsRemap = name)
 */
export function applyUserns(spec: ContainerSpec, s: string): void {
  const t = s.trim();
  delete spec.usernsRemap;
  if (t === "") {
    delete spec.namespaces.user;
  } else if (t === "host") {
    spec.namespaces.user = { mode: "host" };
  } else if (t === "private" || t === "remap" || t === "default") {
    spec.namespaces.user = { mode: "private" };
    spec.usernsRemap = "default";
  } else if (t.startsWith("container:")) {
    spec.namespaces.user = { mode: "container", container: parseContainerName(t.slice(10)) };
  } else if (t.startsWith("/")) {
    spec.namespaces.user = { mode: "path", path: t };
  } else if (/^[a-z_][a-z0-9_.-]*\$?$/i.test(t)) {
    spec.namespaces.user = { mode: "private" };
    spec.usernsRemap = t;
  } else {
    throw new SpecError(
      `invalid user namespace ${JSON.stringify(s)}: use host, remap, default, container:<name>, a path, or a user name from /etc/subuid`,
    );
  }
}
