// Where the daemon listens: -H unix:///path and -H tcp://host:port, with the
// rules that keep a root API from being reachable by anyone: a unix socket
// only for root and the group `ctr`; plain TCP only on loopback (unless
// --insecure-tcp); otherwise TLS that verifies client certificates.
import { chmodSync, chownSync, existsSync, lstatSync, readFileSync, unlinkSync } from "node:fs";
import { isIP } from "node:net";

export const DEFAULT_HOST = "unix:///run/ctr/ctr.sock";

export class HostError extends Error {
  override name = "HostError";
}

export type Host = { kind: "unix"; path: string } | { kind: "tcp"; hostname: string; port: number };

export function parseHost(h: string): Host {
  if (h.startsWith("unix://")) {
    const path = h.slice(7);
    if (!path.startsWith("/")) throw new HostError(`-H ${h}: the socket path must be absolute (unix:///run/ctr/ctr.sock)`);
    return { kind: "unix", path };
  }
  if (h.startsWith("tcp://")) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]*):(\d+)\/?$/.exec(h);
    if (!m) throw new HostError(`-H ${h}: expected tcp://HOST:PORT`);
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new HostError(`-H ${h}: port ${port} out of range`);
    return { kind: "tcp", hostname: m[1]!.replace(/^\[|\]$/g, "") || "0.0.0.0", port };
  }
  throw new HostError(`-H ${h}: unsupported address: use unix:///PATH or tcp://HOST:PORT`);
}

export function isLoopback(hostname: string): boolean {
  if (hostname === "localhost") return true;
  if (isIP(hostname) === 4) return hostname.startsWith("127.");
  return hostname === "::1";
}

/** The group named `ctr`, if the host has one (/etc/group). */
export function ctrGroup(groupFile = "/etc/group"): number | undefined {
  try {
    for (const line of readFileSync(groupFile, "utf8").split("\n")) {
      const [name, , gid] = line.split(":");
      if (name === "ctr" && gid && /^\d+$/.test(gid)) return Number(gid);
    }
  } catch {}
  return undefined;
}

/**
 * A socket file left by a daemon that crashed is removed; one a live daemon
 * answers on is not (two daemons on one socket would each miss requests).
 */
export async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new HostError(`${path} exists and is not a socket: remove it or choose another -H`);
  const live = await new Promise<boolean>((res) => {
    Bun.connect({
      unix: path,
      socket: {
        open(s) {
          s.end();
          res(true);
        },
        data() {},
        error() {
          res(false);
        },
        connectError() {
          res(false);
        },
      },
    }).catch(() => res(false));
  });
  if (live) throw new HostError(`${path}: another daemon is listening on this socket`);
  unlinkSync(path);
}

/** 0660, root and the group ctr when it exists: only they may drive the daemon. */
export function secureSocket(path: string): void {
  chmodSync(path, 0o660);
  chownSync(path, 0, ctrGroup() ?? 0);
}

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** Server certificate and key, and the CA that client certificates must chain to. */
export function tlsOptions(f: TlsFiles): Bun.TLSOptions {
  const read = (what: string, p: string) => {
    try {
      return readFileSync(p, "utf8");
    } catch (e) {
      throw new HostError(`--${what} ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  return { ca: read("tlscacert", f.ca), cert: read("tlscert", f.cert), key: read("tlskey", f.key), requestCert: true, rejectUnauthorized: true };
}
