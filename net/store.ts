// Networks on disk: one JSON record per network under <state root>/networks/,
// holding its settings and its endpoints (the leases: which container has
// which address, MAC and veth). Every change happens under one lock
// (networks/.lock), so parallel `ctr run`s never hand out one address twice;
// records are written by rename.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { flock, LOCK_EX } from "../runtime/sys/libc.ts";
import { closeSync, openSync } from "node:fs";

export interface Endpoint {
  container: string;
  /** container name and aliases: what peers on a user network resolve */
  name: string;
  aliases: string[];
  ip: string;
  mac: string;
  /** host end of the veth pair */
  veth: string;
  /** the interface inside the container: eth0, eth1, ... */
  ifname: string;
}

export interface NetworkRecord {
  name: string;
  id: string;
  driver: "bridge";
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  mtu: number;
  created: string;
  /** the default network ("bridge"): no name resolution, cannot be removed */
  builtin?: boolean;
  labels: Record<string, string>;
  endpoints: Record<string, Endpoint>;
  /**
   * Leases given back whose veth may still exist: rm leaves deleting the
   * veth to the kernel (it goes with the namespace, asynchronously; deleting
   * it here costs 20-40 ms of RCU grace period). An address stays taken
   * until its veth is gone (another container may still hold the namespace).
   */
  released?: { veth: string; ip: string }[];
}

export const networksDir = (root: string) => join(root, "networks");
export const networkFile = (root: string, name: string) => join(networksDir(root), `${name}.json`);
const file = networkFile;

export function loadNetwork(root: string, name: string): NetworkRecord | undefined {
  try {
    return JSON.parse(readFileSync(file(root, name), "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

export function listNetworks(root: string): NetworkRecord[] {
  if (!existsSync(networksDir(root))) return [];
  return readdirSync(networksDir(root))
    .filter((f) => f.endsWith(".json"))
    .map((f) => loadNetwork(root, f.slice(0, -5)))
    .filter((n): n is NetworkRecord => !!n)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function saveNetwork(root: string, n: NetworkRecord): void {
  mkdirSync(networksDir(root), { recursive: true });
  const tmp = `${file(root, n.name)}.tmp${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(n, null, 2)}\n`);
  renameSync(tmp, file(root, n.name));
}

/**
 * Forgets released addresses whose veth has gone (sysfs, not netlink: this
 * runs on every container's start). Whether any was forgotten.
 */
export function forgetGoneReleases(net: NetworkRecord): boolean {
  const before = net.released?.length ?? 0;
  if (before) net.released = net.released!.filter((r) => existsSync(`/sys/class/net/${r.veth}`));
  return (net.released?.length ?? 0) !== before;
}

export function deleteNetwork(root: string, name: string): void {
  rmSync(file(root, name), { force: true });
}

/** Runs fn holding the networks lock (released on return, throw or process death). */
export function withNetLock<T>(root: string, fn: () => T): T {
  const unlock = lockNetworks(root);
  try {
    return fn();
  } finally {
    unlock();
  }
}

/** Takes the networks lock; returns what releases it (process death does too). */
export function lockNetworks(root: string): () => void {
  mkdirSync(networksDir(root), { recursive: true });
  const path = join(networksDir(root), ".lock");
  const fd = openSync(path, "a");
  try {
    flock(fd, LOCK_EX, path);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return () => closeSync(fd);
}
