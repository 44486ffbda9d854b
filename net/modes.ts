// What every container start and rm needs to know of networks (which modes
// ctr wires, where their files live, whether a container holds a lease),
// kept apart from net/container.ts so that --net none/host never loads the
// netlink client (~5 ms of module start-up).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const netnsPath = (root: string, id: string) => join(root, "netns", id);

// where networks and their leases live (net/store.ts): here, so that rm can
// ask whether a container holds one without loading the store
export const networksDir = (root: string) => join(root, "networks");
export const networkFile = (root: string, name: string) => join(networksDir(root), `${name}.json`);
export const leasesDir = (root: string, name: string) => join(networksDir(root), `${name}.leases`);
export const leaseFile = (root: string, name: string, id: string) => join(leasesDir(root, name), `${id}.json`);
export const releasedFile = (root: string, name: string, veth: string) => join(leasesDir(root, name), `${veth}.released`);

/** Whether the container holds a lease on any network (a stat per network). */
export function holdsLease(root: string, id: string): boolean {
  let names: string[];
  try {
    names = readdirSync(networksDir(root));
  } catch {
    return false;
  }
  return names.some((f) => f.endsWith(".json") && existsSync(leaseFile(root, f.slice(0, -5), id)));
}

export interface NetContext {
  root: string;
  /** is this container still on record? (a lease of one that is not is stale) */
  alive: (id: string) => boolean;
}

export function netContext(root: string): NetContext {
  return { root, alive: (id) => existsSync(join(root, "containers", id)) };
}

/** Modes whose namespace ctr makes and wires (bridge, user networks), not none/host/joined ones. */
export function isManagedMode(mode: string): boolean {
  return !["host", "none"].includes(mode) && !mode.startsWith("container:") && !mode.startsWith("ns:");
}

/** Whether the bridge exists and is up, from sysfs (IFF_UP in its flags): no netlink socket needed. */
export function bridgeUp(name: string): boolean {
  try {
    return (Number.parseInt(readFileSync(`/sys/class/net/${name}/flags`, "utf8"), 16) & 1) !== 0 // IFF_UP;
  } catch {
    return false;
  }
}

/** The host end of a container's veth: "veth" + 8 hex of the id, + the interface number past eth0. */
export function vethName(id: string, ifname: string): string {
  const n = Number(ifname.slice(3)); // eth<n>
  return `veth${id.slice(0, 8)}${n ? n : ""}`;
}

/** The /etc files of a container on a network of ctr's: made empty by the monitor (plan step NETNS), filled by net/begin.ts and net/start.ts, bind-mounted by the init. */
export function netFiles(dir: string): { source: string; target: string }[] {
  return [
    { source: join(dir, "hosts"), target: "/etc/hosts" },
    { source: join(dir, "hostname"), target: "/etc/hostname" },
    { source: join(dir, "resolv.conf"), target: "/etc/resolv.conf" },
  ];
}
