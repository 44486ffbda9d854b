// Networks on disk, under <state root>/networks/: one JSON record per
// network (<name>.json: its settings, written when it is made) and its
// leases beside it, one file each (<name>.leases/<container id>.json: which
// container has which address, MAC and veth; <veth>.released once given
// back, until the veth is gone). A run adds one file and an rm renames it:
// neither rewrites the record (on ext4 a rename over a file forces its
// blocks out first, ~0.4 ms each). Every change happens under one lock
// (networks/.lock), so parallel `ctr run`s never hand out one address twice;
// files appear by rename, so a reader without the lock sees whole ones. (The
// monitor of a --rm container renames its lease to released without the
// lock, runtime/native/main.c release_leases: the address is taken either way.)
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { flock, LOCK_EX } from "../runtime/sys/libc.ts";
import { leaseFile, leasesDir, networkFile, networksDir, releasedFile } from "./modes.ts";

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

export { leaseFile, networkFile, networksDir, releasedFile };
const file = networkFile;

export function loadNetwork(root: string, name: string): NetworkRecord | undefined {
  let settings: NetworkRecord;
  try {
    settings = JSON.parse(readFileSync(file(root, name), "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  if (settings.endpoints || settings.released) migrate(root, settings);
  const { endpoints: _e, released: _r, ...rest } = settings;
  return { ...rest, ...readLeases(root, name) };
}

/**
 * A record written before leases had files of their own (they were in it):
 * its leases written out as files (those not there yet) and the record
 * rewritten without them. Idempotent, so two readers may both do it.
 */
function migrate(root: string, n: NetworkRecord): void {
  mkdirSync(leasesDir(root, n.name), { recursive: true });
  const write = (path: string, e: unknown) => {
    if (!existsSync(path)) writeWhole(path, JSON.stringify(e));
  };
  for (const e of Object.values(n.endpoints ?? {})) write(leaseFile(root, n.name, e.container), e);
  for (const r of n.released ?? []) write(releasedFile(root, n.name, r.veth), { container: "", name: "", aliases: [], ip: r.ip, mac: "", veth: r.veth, ifname: "" });
  saveNetwork(root, n);
}

/**
 * A network's leases: its endpoints, and the addresses given back whose veth
 * may still exist. A lease renamed between listing and reading (given back:
 * a --rm container's monitor does it without the lock) means the listing is
 * stale: it is listed again, so the address is seen under its new name.
 */
function readLeases(root: string, name: string): Pick<NetworkRecord, "endpoints" | "released"> {
  for (let attempt = 1; ; attempt++) {
    try {
      return readLeasesOnce(leasesDir(root, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT" || attempt === 5) throw e;
    }
  }
}

function readLeasesOnce(dir: string): Pick<NetworkRecord, "endpoints" | "released"> {
  const endpoints: Record<string, Endpoint> = {};
  const released: { veth: string; ip: string }[] = [];
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { endpoints };
    throw e;
  }
  for (const f of files.sort()) {
    // (a file a crash left half-made has a .tmp name: not a lease)
    if (f.endsWith(".json")) endpoints[f.slice(0, -5)] = JSON.parse(readFileSync(join(dir, f), "utf8"));
    else if (f.endsWith(".released")) {
      const e: Endpoint = JSON.parse(readFileSync(join(dir, f), "utf8"));
      released.push({ veth: e.veth, ip: e.ip });
    }
  }
  return released.length ? { endpoints, released } : { endpoints };
}

export function listNetworks(root: string): NetworkRecord[] {
  return networkNames(root)
    .map((name) => loadNetwork(root, name))
    .filter((n): n is NetworkRecord => !!n)
    .sort((a, b) => a.name.localeCompare(b.name));
}

function networkNames(root: string): string[] {
  if (!existsSync(networksDir(root))) return [];
  return readdirSync(networksDir(root))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5));
}

/** The networks on which a container holds a lease (a stat per network, not a read). */
export function networksOf(root: string, id: string): NetworkRecord[] {
  return networkNames(root)
    .filter((name) => existsSync(leaseFile(root, name, id)))
    .map((name) => loadNetwork(root, name))
    .filter((n): n is NetworkRecord => !!n)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A network's settings (its leases are files of their own: addLease, releaseLease, dropLease). */
export function saveNetwork(root: string, n: NetworkRecord): void {
  mkdirSync(networksDir(root), { recursive: true });
  const { endpoints: _e, released: _r, ...settings } = n;
  writeWhole(file(root, n.name), `${JSON.stringify(settings, null, 2)}\n`);
}

/** A file that appears whole or not at all (a reader without the lock never sees it half-written). */
function writeWhole(path: string, text: string): void {
  writeFileSync(`${path}.tmp${process.pid}`, text);
  renameSync(`${path}.tmp${process.pid}`, path);
}

/** Records an endpoint's lease (the caller holds the networks lock and picked a free address). */
export function addLease(root: string, n: NetworkRecord, e: Endpoint): void {
  mkdirSync(leasesDir(root, n.name), { recursive: true });
  writeWhole(leaseFile(root, n.name, e.container), JSON.stringify(e));
  n.endpoints[e.container] = e;
}

/**
 * Gives a container's lease back while its veth may still exist: the
 * address stays taken until it is gone (see NetworkRecord.released). False
 * when it was given back already (by a --rm container's monitor, just now).
 */
export function releaseLease(root: string, n: NetworkRecord, id: string): boolean {
  const e = n.endpoints[id];
  if (!e) return false;
  let mine = true;
  try {
    renameSync(leaseFile(root, n.name, id), releasedFile(root, n.name, e.veth));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    mine = false;
  }
  delete n.endpoints[id];
  n.released = [...(n.released ?? []), { veth: e.veth, ip: e.ip }];
  return mine;
}

/** Forgets a lease whose veth is gone already (deleted, or never made). */
export function dropLease(root: string, n: NetworkRecord, id: string): void {
  rmSync(leaseFile(root, n.name, id), { force: true });
  delete n.endpoints[id];
}

/**
 * Forgets released addresses whose veth has gone (sysfs, not netlink: this
 * runs on every container's start).
 */
export function forgetGoneReleases(root: string, net: NetworkRecord): void {
  const gone = (net.released ?? []).filter((r) => !existsSync(`/sys/class/net/${r.veth}`));
  for (const r of gone) rmSync(releasedFile(root, net.name, r.veth), { force: true });
  if (gone.length) net.released = net.released!.filter((r) => !gone.includes(r));
}

export function deleteNetwork(root: string, name: string): void {
  rmSync(file(root, name), { force: true });
  rmSync(leasesDir(root, name), { recursive: true, force: true });
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
