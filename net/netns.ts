// Network namespaces made from TypeScript (DESIGN.md, rule 3), without the
// `ip netns` or `unshare` binaries:
//
//   open /proc/thread-self/ns/net (the host's)      -- to come back to
//   unshare(CLONE_NEWNET)                            -- only this (the JS) thread moves
//   bind-mount /proc/thread-self/ns/net onto FILE    -- keeps it alive with no process in it
//   open a NETLINK_ROUTE socket                      -- bound to the new namespace for good
//   setns(host fd)                                   -- the thread is back home
//
// unshare(CLONE_NEWNET) is allowed in a threaded process and changes only the
// calling thread; Bun's other threads never leave the host's namespace. The
// mount is made in the host's mount namespace, which this process is in.
// The executor later joins FILE with setns (a SETNS_CHILD step).
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { SysError } from "../runtime/sys/errno.ts";
import { mount, setns, umount2, unshare } from "../runtime/sys/libc.ts";
import { Netlink } from "./netlink/client.ts";

const CLONE_NEWNET = 0x40000000;
const MS_BIND = 0x1000;
const MNT_DETACH = 2;
const SELF = "/proc/thread-self/ns/net";

/** Creates a network namespace pinned at `path`; returns a netlink socket inside it (close it when done). */
export function createNetns(path: string): Netlink {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, "", { flag: "wx", mode: 0o444 });
  const host = openSync(SELF, "r");
  let inside: Netlink | undefined;
  try {
    unshare(CLONE_NEWNET);
    try {
      mount(SELF, path, null, MS_BIND);
      inside = Netlink.open();
    } finally {
      // must not fail silently: this thread would stay in the wrong namespace
      setns(host, CLONE_NEWNET, "host network namespace");
    }
  } catch (e) {
    inside?.close();
    removeNetns(path);
    throw e;
  } finally {
    closeSync(host);
  }
  return inside;
}

/** Unmounts and removes a pinned namespace; nothing there is not an error. */
export function removeNetns(path: string): void {
  try {
    umount2(path, MNT_DETACH);
  } catch (e) {
    // EINVAL: not a mount point; ENOENT: no file
    if (!(e instanceof SysError) || (e.code !== "EINVAL" && e.code !== "ENOENT")) throw e;
  }
  rmSync(path, { force: true });
}

/** A netlink socket inside the namespace pinned at `path`, opened by entering it the same way. */
export function openInNetns(path: string): Netlink {
  const host = openSync(SELF, "r");
  const target = openSync(path, "r");
  try {
    setns(target, CLONE_NEWNET, path);
    try {
      return Netlink.open();
    } finally {
      setns(host, CLONE_NEWNET, "host network namespace");
    }
  } finally {
    closeSync(target);
    closeSync(host);
  }
}
