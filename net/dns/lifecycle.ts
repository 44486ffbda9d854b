// When a network's DNS server (net/dns/server.ts) runs: started by the
// first container whose first network it is, stopped when the network's
// last container leaves (it also leaves by itself then). Its pid is in
// networks/<name>.dns.pid (not .json: those are network records). Starting is serialized per network by a lock
// file, so parallel runs start one server, not one each.
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { flock, LOCK_EX } from "../../runtime/sys/libc.ts";
import { isHelper, startHelper } from "../helper.ts";
import { networksDir, type NetworkRecord } from "../store.ts";

const recordPath = (root: string, name: string) => join(networksDir(root), `${name}.dns.pid`);
const args = (name: string) => ["net-dns", name];

function serverPid(root: string, name: string): number | undefined {
  try {
    const pid = Number(readFileSync(recordPath(root, name), "utf8"));
    return isHelper(pid, args(name)) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the network's server unless it runs; returns why it cannot serve, or undefined. */
export async function serveDns(root: string, net: NetworkRecord): Promise<string | undefined> {
  const lockPath = join(networksDir(root), `${net.name}.dns.lock`);
  const fd = openSync(lockPath, "a");
  try {
    flock(fd, LOCK_EX, lockPath);
    if (serverPid(root, net.name)) return undefined;
    const { pid, reply } = await startHelper(root, args(net.name), `DNS server of network ${net.name}`);
    if (!reply.ok) return reply.error;
    writeFileSync(recordPath(root, net.name), String(pid));
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Stops the network's server (its last container has gone, or the network has). */
export function stopDns(root: string, name: string): void {
  const pid = serverPid(root, name);
  if (pid) process.kill(pid, "SIGTERM");
  rmSync(recordPath(root, name), { force: true });
  rmSync(join(networksDir(root), `${name}.dns.lock`), { force: true });
}
